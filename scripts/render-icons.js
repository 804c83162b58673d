// Draws the tray icons (one per state) and the app icon as PNGs into assets/, from the SVG below and
// assets/icon.svg, with Debian's chromium driven by playwright-core. Run by hand after changing a drawing
// (`node scripts/render-icons.js`); the PNGs are committed, so builds never need a browser.
//   assets/tray/<kind>.png, <kind>@2x.png            colour, for Linux and Windows (16 and 32 px)
//   assets/tray/<kind>Template.png, …Template@2x.png black + alpha, macOS template images (the menu bar tints them)
//   assets/icon.png                                   512 px app icon (electron-builder derives .icns/.ico)
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const KINDS = ['idle', 'recording', 'recording-redacted', 'error'];

// 32×32 drawing. The badge sits bottom-right; a transparent gap (mask) separates it from the moon so both
// read at 16 px on any panel colour.
const MOON = 'M19 4.5a12 12 0 1 0 9.5 17.5A10 10 0 1 1 19 4.5z';
const BADGE = { cx: 24, cy: 24, r: 6.5, gap: 2 };

function svg(kind, template) {
  const c = template
    ? { moon: '#000', idleMoon: '#000', ring: '#000', dot: '#000', mark: '#000', warn: '#000' }
    : {
        moon: '#f2e7b8',
        idleMoon: '#a7adc2',
        ring: '#1d2240',
        dot: '#e5484d',
        mark: '#fff',
        warn: '#f5a524',
      };
  const badge = kind !== 'idle';
  const moonFill = kind === 'recording' || kind === 'recording-redacted' ? c.moon : c.idleMoon;
  const { cx, cy, r, gap } = BADGE;
  // In a template image "off" is drawn as an outline, "on" filled; colours carry it elsewhere.
  const moon =
    template && (kind === 'idle' || kind === 'error')
      ? `<path d="${MOON}" fill="none" stroke="#000" stroke-width="2.4" stroke-linejoin="round"/>`
      : `<path d="${MOON}" fill="${moonFill}" stroke="${c.ring}" stroke-width="${template ? 0 : 1.4}" stroke-linejoin="round"/>`;
  let badgeSvg = '';
  if (kind === 'recording') {
    badgeSvg = `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${c.dot}"/>`;
  } else if (kind === 'recording-redacted') {
    // A red dot with a bar across: "recording, masked".
    badgeSvg =
      `<mask id="bar"><rect width="32" height="32" fill="#fff"/>` +
      `<rect x="${cx - r + 2.2}" y="${cy - 1.4}" width="${2 * r - 4.4}" height="2.8" rx="1.2" fill="#000"/></mask>` +
      `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${c.dot}" mask="${template ? 'url(#bar)' : ''}"/>` +
      (template
        ? ''
        : `<rect x="${cx - r + 2.2}" y="${cy - 1.4}" width="${2 * r - 4.4}" height="2.8" rx="1.2" fill="${c.mark}"/>`);
  } else if (kind === 'error') {
    const t = `M${cx} ${cy - r - 1} L${cx + r + 1} ${cy + r} L${cx - r - 1} ${cy + r} Z`;
    const bang =
      `<rect x="${cx - 1.2}" y="${cy - 3}" width="2.4" height="5" rx="1"/>` +
      `<rect x="${cx - 1.2}" y="${cy + 3.2}" width="2.4" height="2.2" rx="1"/>`;
    badgeSvg = template
      ? `<mask id="bang"><rect width="32" height="32" fill="#fff"/><g fill="#000">${bang}</g></mask>` +
        `<path d="${t}" fill="#000" stroke="#000" stroke-width="1.5" stroke-linejoin="round" mask="url(#bang)"/>`
      : `<path d="${t}" fill="${c.warn}" stroke="${c.warn}" stroke-width="1.5" stroke-linejoin="round"/>` +
        `<g fill="#1d2240">${bang}</g>`;
  }
  const gapMask = badge
    ? `<mask id="gap"><rect width="32" height="32" fill="#fff"/>` +
      `<circle cx="${cx}" cy="${cy}" r="${r + gap + (kind === 'error' ? 1.5 : 0)}" fill="#000"/></mask>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="SIZE" height="SIZE">` +
    `<defs>${gapMask}</defs><g mask="${badge ? 'url(#gap)' : ''}">${moon}</g>${badgeSvg}</svg>`
  );
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  const render = async (markup, size, out) => {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(
      `<html><body style="margin:0;background:transparent">${markup.replaceAll('SIZE', String(size))}</body></html>`,
    );
    await page.locator('svg').screenshot({ path: out, omitBackground: true });
  };
  mkdirSync(join(root, 'assets', 'tray'), { recursive: true });
  for (const kind of KINDS) {
    for (const template of [false, true]) {
      const name = `${kind}${template ? 'Template' : ''}`;
      await render(svg(kind, template), 16, join(root, 'assets', 'tray', `${name}.png`));
      await render(svg(kind, template), 32, join(root, 'assets', 'tray', `${name}@2x.png`));
    }
  }
  const appIcon = readFileSync(join(root, 'assets', 'icon.svg'), 'utf8').replace(
    /width="64" height="64"/,
    'width="SIZE" height="SIZE"',
  );
  await render(appIcon, 512, join(root, 'assets', 'icon.png'));
  process.stdout.write(`rendered ${KINDS.length * 4 + 1} PNGs into assets/\n`);
} finally {
  await browser.close();
}
