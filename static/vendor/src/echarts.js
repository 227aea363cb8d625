// The ECharts build phones download: only what static/js/stats.js draws (bar, line and pie
// charts with a grid, tooltip and legend, on canvas). `make vendor` bundles this with esbuild
// into vendor/echarts/echarts.custom.min.js; a chart type or component not listed here is not in that file.
import * as echarts from "echarts/core";
import { BarChart, LineChart, PieChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent,
             CanvasRenderer]);

export const init = echarts.init;
