/**
 * Presentation of a bench report: terminal table, Markdown table, SVG chart of the ratios.
 *
 * The SVG is written by hand (no dependency): one horizontal bar per figure, its length the
 * ratio on a log scale, a tick at the goal where there is one; green when the goal is met,
 * red when missed, grey without a goal.
 */

import type { BenchReport, BenchResult } from './bench.js';

/** Nanoseconds in a readable unit (ns, µs, ms, s) with three significant digits. */
export function formatNs(ns: number | null): string {
  if (ns === null || !Number.isFinite(ns)) return '-';
  const [value, unit] = ns < 1e3 ? [ns, 'ns'] : ns < 1e6 ? [ns / 1e3, 'µs'] : ns < 1e9 ? [ns / 1e6, 'ms'] : [ns / 1e9, 's'];
  return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ${unit}`;
}

export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '-';
  return `${ratio < 10 ? ratio.toFixed(2) : ratio < 100 ? ratio.toFixed(1) : ratio.toFixed(0)}x`;
}

function goalText(r: BenchResult): string {
  if (r.unavailable !== undefined) return `unavailable: ${r.unavailable}`;
  if (r.goal === undefined) return '';
  return `${r.goal_met === true ? 'met' : 'MISSED'} (goal ${r.goal})`;
}

function machineLine(report: BenchReport): string {
  const m = report.machine;
  return `${m.cpu}, ${m.cores} cores, ${(m.memory_bytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node} (V8 ${m.v8}), ${m.platform}/${m.arch}; `
    + `load average ${m.loadavg_start.toFixed(2)} at start, ${m.loadavg_end.toFixed(2)} at end`;
}

/** The terminal table: figures with their floors and ratios, then the floors themselves. */
export function formatTable(report: BenchReport): string {
  const header = ['figure', 'median', 'min', 'max', 'floor', 'floor median', 'ratio', 'goal'];
  const rows = report.results.map((r) => [r.name, formatNs(r.median_ns), formatNs(r.min_ns), formatNs(r.max_ns), r.floor, formatNs(r.floor_median_ns), formatRatio(r.ratio), goalText(r)]);
  const floorRows = report.floors.map((f) => [f.name, formatNs(f.median_ns), formatNs(f.min_ns), formatNs(f.max_ns), '', '', '', '']);
  const all = [header, ...rows, ...floorRows];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (i === header.length - 1 ? 0 : row[i]!.length))));
  const line = (row: string[]): string => row.map((cell, i) => (i === 0 || i === 4 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(Math.max(w, 4))).join('  ');
  return [
    `rampart bench (${report.mode}: ${report.rounds} rounds after ${report.warmup_rounds} warm-up, ${report.elapsed_s.toFixed(1)} s)`,
    `machine: ${machineLine(report)}`,
    '',
    line(header),
    rule,
    ...rows.map(line),
    '',
    'floors:',
    ...floorRows.map((row) => line(row)),
  ].join('\n');
}

/** A Markdown table of the results (for docs/performance.md). */
export function markdownTable(report: BenchReport): string {
  const out = ['| figure | one operation | median | min | max | floor | floor median | ratio | goal |', '|---|---|--:|--:|--:|---|--:|--:|---|'];
  for (const r of report.results) {
    out.push(`| ${r.name} | ${r.what} | ${formatNs(r.median_ns)} | ${formatNs(r.min_ns)} | ${formatNs(r.max_ns)} | ${r.floor} | ${formatNs(r.floor_median_ns)} | ${formatRatio(r.ratio)} | ${goalText(r)} |`);
  }
  out.push('', '| floor | one operation | median | min | max |', '|---|---|--:|--:|--:|');
  for (const f of report.floors) out.push(`| ${f.name} | ${f.what} | ${formatNs(f.median_ns)} | ${formatNs(f.min_ns)} | ${formatNs(f.max_ns)} |`);
  return out.join('\n');
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** SVG bar chart of every ratio (log scale), goals marked. */
export function svgChart(report: BenchReport): string {
  const rows = report.results;
  const labelWidth = 210;
  const valueWidth = 70;
  const plotWidth = 560;
  const rowHeight = 22;
  const top = 58;
  const width = labelWidth + plotWidth + valueWidth + 20;
  const height = top + rows.length * rowHeight + 40;
  const finite = rows.flatMap((r) => [r.ratio, ...(r.goal !== undefined ? [Number(r.goal.split(' ')[1])] : [])]).filter((x): x is number => x !== null && Number.isFinite(x) && x > 0);
  const lo = Math.min(0.5, ...finite);
  const hi = Math.max(2, ...finite);
  const minExp = Math.floor(Math.log10(lo));
  const maxExp = Math.ceil(Math.log10(hi));
  const x = (ratio: number): number => labelWidth + ((Math.log10(ratio) - minExp) / (maxExp - minExp)) * plotWidth;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  parts.push(`<text x="10" y="20" font-size="15" font-weight="bold">rampart bench: time / floor (log scale)</text>`);
  parts.push(`<text x="10" y="38" fill="#555555">${escapeXml(`${report.mode} run, ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}`)}</text>`);
  // Decade grid lines.
  for (let e = minExp; e <= maxExp; e++) {
    const gx = x(10 ** e);
    parts.push(`<line x1="${gx.toFixed(1)}" y1="${top - 6}" x2="${gx.toFixed(1)}" y2="${top + rows.length * rowHeight}" stroke="${e === 0 ? '#333333' : '#dddddd'}" stroke-width="${e === 0 ? 1.5 : 1}"/>`);
    parts.push(`<text x="${gx.toFixed(1)}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#555555">${10 ** e >= 1 ? `${10 ** e}x` : `${(10 ** e).toFixed(-e)}x`}</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    parts.push(`<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(r.name)}</text>`);
    if (r.ratio === null || !Number.isFinite(r.ratio)) {
      parts.push(`<text x="${labelWidth + 4}" y="${y + 15}" fill="#888888">unavailable</text>`);
      return;
    }
    const color = r.goal_met === true ? '#3a9a4a' : r.goal_met === false ? '#c8463c' : '#8a9bb0';
    const x0 = x(10 ** minExp);
    const x1 = Math.max(x0 + 1, x(Math.max(r.ratio, 10 ** minExp)));
    parts.push(`<rect x="${x0.toFixed(1)}" y="${y + 4}" width="${(x1 - x0).toFixed(1)}" height="${rowHeight - 8}" fill="${color}"/>`);
    if (r.goal !== undefined) {
      const gx = x(Number(r.goal.split(' ')[1]));
      parts.push(`<line x1="${gx.toFixed(1)}" y1="${y + 1}" x2="${gx.toFixed(1)}" y2="${y + rowHeight - 1}" stroke="#000000" stroke-width="2"/>`);
    }
    parts.push(`<text x="${labelWidth + plotWidth + 8}" y="${y + 15}">${escapeXml(formatRatio(r.ratio))}</text>`);
  });
  parts.push(`<text x="${labelWidth}" y="${height - 6}" fill="#555555">green: goal met, red: goal missed, grey: no goal; black tick: the goal</text>`);
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
