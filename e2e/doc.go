// Package e2e holds Tessera's browser tests: playwright-go drives Debian's
// Chromium against the real binary (cmd/web) in local mode, as a person
// would use it. It has no code of its own outside the tests.
//
// Run scripts/e2e-setup.sh once (it installs Chromium, the pinned Playwright
// driver from npm and axe-core), then go test ./e2e/. The tests fail, never
// skip, when that setup is missing.
package e2e
