// Package browsertest starts a headless Chromium for tests of web pages,
// with chromedp. It is shared by the visualizer's own page test and the
// end-to-end tests against a real lab, so that both start the browser the
// same way.
//
// Where Chromium is missing the test is skipped, except in CI (CI=true),
// where a missing browser must fail the build rather than hide a broken page.
package browsertest
