// `make vendor`: copies the China map and its per-province maps out of the echarts 4.9.0 package
// (map/json, Apache-2.0) into static/vendor/geo/, each named by the adcode of its province
// (100000 for the whole country), so the page and the server find a province's map by its code.
// Files are kept in ECharts' compact UTF8Encoding form, which registerMap decodes.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from "node:fs";

const source = "node_modules/echarts4/map/json";
const target = "../static/vendor/geo";
mkdirSync(target, { recursive: true });
copyFileSync(`${source}/china.json`, `${target}/100000.json`);
// Taiwan's file is the one whose regions carry no adcode.
const unnumbered = { "taiwan.json": "710000" };
for (const file of readdirSync(`${source}/province`)) {
  const map = JSON.parse(readFileSync(`${source}/province/${file}`, "utf8"));
  const numbered = map.features.find((f) => f.id);
  const province = numbered ? `${String(numbered.id).slice(0, 2)}0000` : unnumbered[file];
  if (!province) { throw new Error(`no province for ${file}`); }
  copyFileSync(`${source}/province/${file}`, `${target}/${province}.json`);
}
copyFileSync("node_modules/echarts4/LICENSE", `${target}/LICENSE`);
