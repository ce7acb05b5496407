/**
 * The admin site's style sheet, served at `/admin/assets/admin.css`. Small
 * and readable; text colours meet WCAG AA contrast (4.5:1) on their
 * backgrounds, focus is always visible, and colour never carries meaning on
 * its own (every badge is a word).
 */
export const ADMIN_CSS = `:root {
  --text: #1a1a1a;
  --muted: #4a4a4a;
  --background: #ffffff;
  --panel: #f4f5f7;
  --border: #8a8f98;
  --link: #0b4fb3;
  --focus: #ffbf47;
  --primary: #0b4fb3;
  --danger: #a4161a;
  --ok-bg: #e3f4e8; --ok-fg: #0f5223;
  --info-bg: #e6eefb; --info-fg: #0b3d86;
  --warn-bg: #fff3cd; --warn-fg: #5c4300;
  --bad-bg: #fbe4e4; --bad-fg: #8a1116;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  line-height: 1.5;
  color: var(--text);
  background: var(--background);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }

/* Focus: a thick outline on every focusable element, never removed. */
:focus-visible { outline: 3px solid var(--focus); outline-offset: 0; box-shadow: 0 0 0 6px var(--text); }
a:focus-visible { background: var(--focus); color: var(--text); box-shadow: 0 4px var(--text); outline: none; }

.visually-hidden { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link { position: absolute; left: -9999px; top: 0; padding: 0.5rem 1rem; background: var(--focus); color: var(--text); z-index: 10; }
.skip-link:focus { left: 0.5rem; top: 0.5rem; }

.site-header { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.75rem 1.5rem; background: #1a1a1a; color: #ffffff; }
.site-header a { color: #ffffff; }
.site-header .product { margin: 0; font-weight: 700; font-size: 1.15rem; }
.site-header .user { margin: 0 0 0 auto; }
.site-header form { margin: 0; }
.site-header .button.secondary { color: #ffffff; border-color: #ffffff; background: transparent; }

nav[aria-label="Admin"] { background: var(--panel); border-bottom: 1px solid var(--border); }
nav[aria-label="Admin"] ul { display: flex; flex-wrap: wrap; margin: 0; padding: 0 1rem; list-style: none; }
nav[aria-label="Admin"] a { display: block; padding: 0.6rem 0.75rem; text-decoration: none; color: var(--text); border-bottom: 4px solid transparent; }
nav[aria-label="Admin"] a:hover { text-decoration: underline; }
nav[aria-label="Admin"] a[aria-current="page"] { border-bottom-color: var(--primary); font-weight: 700; }

main { padding: 1rem 1.5rem 3rem; max-width: 90rem; }
main:focus { outline: none; }
h1 { font-size: 1.75rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 0.75rem; }
h3 { font-size: 1.1rem; }
p.lead { color: var(--muted); max-width: 60rem; }

.flash { border-left: 6px solid var(--primary); background: var(--info-bg); color: var(--info-fg); padding: 0.75rem 1rem; margin: 0 0 1rem; }
.error-summary { border: 4px solid var(--danger); padding: 0.75rem 1rem; margin: 0 0 1rem; }
.error-summary h2 { margin-top: 0; font-size: 1.15rem; color: var(--danger); }
.field-error { display: block; color: var(--danger); font-weight: 700; }
[aria-invalid="true"] { border-color: var(--danger); border-width: 3px; }

.table-wrap { overflow-x: auto; margin: 0 0 1.5rem; }
table { border-collapse: collapse; min-width: 100%; }
caption { text-align: left; font-weight: 700; padding: 0.5rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.45rem 0.6rem; border-bottom: 1px solid var(--border); }
thead th { background: var(--panel); border-bottom: 2px solid var(--text); }
tbody th { font-weight: 600; }
.mono, code { font-family: ui-monospace, SFMono-Regular, Consolas, monospace; font-size: 0.9em; }
/* Thumbprints and URLs break anywhere; short identifiers (actions, codes) never do. */
.mono { word-break: break-all; }
code.ident { white-space: nowrap; }
.none { color: var(--muted); }

.badge { display: inline-block; padding: 0 0.45rem; border-radius: 0.25rem; border: 1px solid currentColor; font-size: 0.85rem; font-weight: 600; white-space: nowrap; }
.badge.ok { background: var(--ok-bg); color: var(--ok-fg); }
.badge.info { background: var(--info-bg); color: var(--info-fg); }
.badge.warn { background: var(--warn-bg); color: var(--warn-fg); }
.badge.bad { background: var(--bad-bg); color: var(--bad-fg); }
.badge.neutral { background: var(--panel); color: var(--text); }
.badge.invisible { background: var(--bad-bg); color: var(--bad-fg); font-family: ui-monospace, Consolas, monospace; }

ul.plain, ul.keys, ul.alerts, ul.removed { margin: 0; padding-left: 1.1rem; }
ul.keys li { margin: 0 0 0.5rem; }
ul.removed li { margin: 0.25rem 0; }
details summary { cursor: pointer; color: var(--link); }
.pasted { display: block; padding: 0.5rem; background: var(--panel); border: 1px solid var(--border); }
.algorithm { font-size: 0.8rem; font-weight: 700; color: var(--muted); }
dl.details { display: grid; grid-template-columns: minmax(10rem, max-content) 1fr; gap: 0.25rem 1rem; margin: 0 0 1rem; }
dl.details div { display: contents; }
dl.details dt { font-weight: 600; }
dl.details dd { margin: 0; }

form { margin: 0 0 1rem; }
fieldset { border: 1px solid var(--border); padding: 0.5rem 1rem; margin: 0 0 1rem; }
legend { font-weight: 600; }
.field { margin: 0 0 0.9rem; max-width: 48rem; }
.field label { display: block; font-weight: 600; }
.field.checkbox { display: flex; gap: 0.5rem; align-items: flex-start; }
.field.checkbox label { font-weight: 400; }
.field.checkbox input { width: 1.25rem; height: 1.25rem; margin-top: 0.15rem; }
.hint { display: block; color: var(--muted); font-size: 0.95rem; }
.required { font-weight: 400; color: var(--muted); }
input[type="text"], input[type="url"], input[type="number"], input[type="date"], input[type="search"], select, textarea {
  display: block; width: 100%; padding: 0.4rem 0.5rem; font: inherit; color: var(--text); background: var(--background); border: 2px solid var(--text); border-radius: 0;
}
textarea { font-family: ui-monospace, Consolas, monospace; font-size: 0.9rem; }
.filters { display: flex; flex-wrap: wrap; gap: 0 1rem; align-items: flex-end; background: var(--panel); padding: 0.75rem 1rem; }
.filters .field { min-width: 12rem; flex: 1 1 12rem; }
.filters .button { margin-bottom: 0.9rem; }

.button { display: inline-block; font: inherit; font-weight: 600; padding: 0.4rem 1rem; border: 2px solid var(--primary); border-radius: 0.25rem; cursor: pointer; text-decoration: none; }
.button.primary { background: var(--primary); color: #ffffff; }
.button.secondary { background: var(--background); color: var(--primary); }
.button.danger { background: var(--danger); border-color: var(--danger); color: #ffffff; }
.inline-form { display: inline-block; margin: 0 0.5rem 0.25rem 0; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin: 0 0 1rem; }
.columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(24rem, 1fr)); gap: 0 2rem; }
.pager { display: flex; gap: 1.5rem; }
footer { padding: 1rem 1.5rem; color: var(--muted); border-top: 1px solid var(--border); }

@media (prefers-reduced-motion: reduce) { * { transition: none !important; } }
`;
