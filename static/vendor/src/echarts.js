// The ECharts build phones download: only what static/js/stats.js draws (bar, line, pie and map
// charts with a grid, tooltip, legend, geo and visualMap, on canvas). `make vendor` bundles this
// with esbuild into vendor/echarts/echarts.custom.min.js; a chart type or component not listed
// here is not in that file.
import * as echarts from "echarts/core";
import { BarChart, LineChart, MapChart, PieChart } from "echarts/charts";
import { GeoComponent, GridComponent, LegendComponent, TooltipComponent,
         VisualMapComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, LineChart, MapChart, PieChart, GeoComponent, GridComponent,
             LegendComponent, TooltipComponent, VisualMapComponent, CanvasRenderer]);

export const init = echarts.init;
export const registerMap = echarts.registerMap;
export const getMap = echarts.getMap;
// Tests find a drawn chart to click on a region of the map.
export const getInstanceByDom = echarts.getInstanceByDom;
