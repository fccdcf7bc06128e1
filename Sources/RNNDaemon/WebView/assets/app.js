// rnnd's web view: native ES modules, no dependencies, compiled into rnnd and served from one table
// (WebViewController.assets). This entry picks the page's module; each page module builds its page from the
// API. Every value from the store is inserted as text (textContent, never innerHTML); the
// Content-Security-Policy forbids inline scripts and eval.
import { runsPage } from './runs.js';
import { runPage } from './run.js';
import { comparePage } from './compare.js';
import { sweepsPage, sweepPage } from './sweeps.js';

const pages = {
  runs: () => runsPage(),
  run: () => runPage(document.body.dataset.run),
  compare: () => comparePage(),
  sweeps: () => sweepsPage(),
  sweep: () => sweepPage(document.body.dataset.run),
};
pages[document.body.dataset.page]?.();
