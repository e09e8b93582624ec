package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/playwright-community/playwright-go"
)

// Perceived speed (issue 7), in Chromium with JavaScript:
//
//   - A directory row's profile link that the pointer moves onto and rests
//     on (100 ms), or that keeps the keyboard focus as long, is prefetched
//     (app.js marks it data-prefetch and adds speculation rules that fetch
//     marked links), and the click shows that very answer: one retrieve at
//     Square, not two. Passing over the rows, with the mouse or the Tab
//     key, costs Square nothing; without JavaScript nothing is prefetched.
//   - Every request slower than 150 ms shows a progress indicator (links and
//     plain forms: the bar at the top; a search: "Searching…"); faster ones
//     never do; with reduced motion it appears without fading or sliding.
//   - Results arrive without moving what is already on the page: the
//     Cumulative Layout Shift of a search, of "Load more" and of a profile's
//     load is 0.
//
// Square's slowness comes from squarelocal's latency fault, over its HTTP
// controls (see faults_test.go).

// Square's reads of a profile, as squarelocal's call log names them.
const (
	epRetrieveCustomer = "GET /v2/customers/{customer_id}"
	epListCards        = "GET /v2/cards"
)

// squareLatency is how long Square takes to answer, when a test makes it slow.
const squareLatency = "600ms"

// injectLatency makes every Square call answer after d (a Go duration),
// until clearFaults.
func injectLatency(t *testing.T, app *webApp, d string) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"kind": "latency", "latency": d})
	check(t, err, "encoding the latency fault")
	resp, err := http.Post(faultsURL(app), "application/json", strings.NewReader(string(body)))
	check(t, err, "injecting latency")
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s (%s) = %d, want 200", faultsURL(app), body, resp.StatusCode)
	}
}

// retrievesOf counts Square's retrieves of the customer id; "" counts every
// customer's.
func retrievesOf(t *testing.T, app *webApp, id string) int {
	t.Helper()
	n := 0
	for _, c := range callsTo(t, app, epRetrieveCustomer) {
		if id == "" || strings.HasSuffix(c.Path, "/"+id) {
			n++
		}
	}
	return n
}

// eventually polls cond until it holds or within has passed.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// profileLink is the link to the profile in the directory row of id.
func profileLink(page playwright.Page, id string) playwright.Locator {
	return page.Locator(`[data-testid="customer-row"][data-customer-id="` + id + `"] th a`)
}

// parkMouse moves the pointer onto the local demo banner, away from every
// link, as a person's hand resting off the table.
func parkMouse(t *testing.T, page playwright.Page) {
	t.Helper()
	check(t, page.Mouse().Move(640, 4), "moving the mouse off the table")
}

// deliveryType is how the browser got the current document:
// "navigational-prefetch" when it came from a prefetch.
func deliveryType(t *testing.T, page playwright.Page) string {
	t.Helper()
	v, err := page.Evaluate(`() => performance.getEntriesByType('navigation')[0].deliveryType`)
	check(t, err, "reading the navigation's delivery type")
	s, _ := v.(string)
	return s
}

func TestRestingOnAProfileLinkPrefetchesItAndTheClickShowsThatAnswer(t *testing.T) {
	t.Parallel()
	// Square serves the directory here (TESSERA_INDEX=off): what these
	// tests time and count is Square's part, which the index would take
	// away from the directory half way through the test.
	app := startAppWith(t, "TESSERA_INDEX=off")
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	ids, names := listedCustomers(t, page)
	parkMouse(t, page)

	for i, tc := range []struct {
		name    string
		latency string
	}{
		// The prefetch has arrived when the person clicks.
		{"the answer has arrived", ""},
		// Square is slow: the click comes while the prefetch is on its way,
		// and waits for it rather than asking again.
		{"the answer is still on its way", squareLatency},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, name := ids[2+i], names[2+i]
			cardsBefore := len(callsTo(t, app, epListCards))
			if n := retrievesOf(t, app, id); n != 0 {
				t.Fatalf("before the hover, Square was asked for %s %d times, want 0", id, n)
			}
			if tc.latency != "" {
				injectLatency(t, app, tc.latency)
				defer clearFaults(t, app)
			}
			link := profileLink(page, id)
			check(t, link.Hover(), "resting the pointer on "+name)
			if tc.latency == "" {
				if !eventually(5*time.Second, func() bool { return retrievesOf(t, app, id) == 1 }) {
					t.Fatalf("resting on %s: Square was asked for it %d times, want 1 (the prefetch)", name, retrievesOf(t, app, id))
				}
			} else {
				time.Sleep(250 * time.Millisecond) // past the 100 ms dwell, well before Square answers
			}
			check(t, link.Click(), "clicking "+name)
			waitProfile(t, page)
			check(t, expect.Locator(page.GetByTestId("customer-name")).ToHaveText(name), "the profile of "+name)
			if got := deliveryType(t, page); got != "navigational-prefetch" {
				t.Errorf("the profile's navigation deliveryType = %q, want navigational-prefetch (the prefetched answer)", got)
			}
			time.Sleep(300 * time.Millisecond) // a second request would have reached Square by now
			if n := retrievesOf(t, app, id); n != 1 {
				t.Errorf("hover then click: Square was asked for %s %d times, want 1", id, n)
			}
			if n := len(callsTo(t, app, epListCards)) - cardsBefore; n != 1 {
				t.Errorf("hover then click: Square listed cards %d times, want 1", n)
			}
			_, err := page.GoBack()
			check(t, err, "going back to the directory")
			check(t, expect.Locator(link).ToBeVisible(), "the directory again")
			parkMouse(t, page)
		})
	}

	// Without JavaScript nothing is prefetched (no link is ever marked),
	// and the link is an ordinary one: one retrieve for the click.
	t.Run("JavaScript off", func(t *testing.T) {
		plain := newPage(t, app, contextOptions{noJS: true})
		signIn(t, plain, merchantHarbor)
		id, name := ids[5], names[5]
		link := profileLink(plain, id)
		check(t, link.Hover(), "resting the pointer on "+name)
		time.Sleep(400 * time.Millisecond)
		if n := retrievesOf(t, app, id); n != 0 {
			t.Errorf("resting on %s without JavaScript: Square was asked for it %d times, want 0", name, n)
		}
		check(t, link.Click(), "clicking "+name)
		waitProfile(t, plain)
		time.Sleep(300 * time.Millisecond)
		if n := retrievesOf(t, app, id); n != 1 {
			t.Errorf("clicking %s without JavaScript: Square was asked for it %d times, want 1", name, n)
		}
	})
}

func TestPassingOverTheRowsFetchesNoProfile(t *testing.T) {
	t.Parallel()
	// Square serves the directory here (TESSERA_INDEX=off): what these
	// tests time and count is Square's part, which the index would take
	// away from the directory half way through the test.
	app := startAppWith(t, "TESSERA_INDEX=off")
	page := newPage(t, app)
	signIn(t, page, merchantHarbor)
	ids, names := listedCustomers(t, page)
	if len(ids) < 50 {
		t.Fatalf("the directory shows %d rows, want 50", len(ids))
	}

	// A pass is only a pass if the pointer and the focus never stayed on
	// one link for the 100 ms that make a rest. A busy machine can hold
	// the browser up mid-sweep; the page's own clock tells, and such an
	// attempt is made again on a freshly loaded directory rather than
	// counted either way.
	var before int
	for attempt := 1; ; attempt++ {
		parkMouse(t, page)
		before = retrievesOf(t, app, "")
		_, err := page.Evaluate(restWatch)
		check(t, err, "watching how long the pointer and the focus stay on a link")
		passOverTheRows(t, page, ids)
		time.Sleep(1500 * time.Millisecond) // past the dwell and the gap between prefetches
		longest := longestRest(t, page)
		if longest < 100 {
			t.Logf("attempt %d: the longest stay on one link was %.0f ms", attempt, longest)
			break
		}
		if attempt == 3 {
			t.Fatalf("in %d attempts the browser was always held up mid-sweep (last: %.0f ms on one link); the machine is too busy to tell a pass from a rest", attempt, longest)
		}
		t.Logf("attempt %d: the browser was held up, the pointer or focus stayed %.0f ms on one link; trying again", attempt, longest)
		_, err = page.Reload()
		check(t, err, "reloading the directory")
		check(t, expect.Locator(profileLink(page, ids[0])).ToBeVisible(), "the directory again")
	}
	if n := retrievesOf(t, app, "") - before; n != 0 {
		t.Errorf("passing over the rows: Square was asked for %d customers, want 0", n)
	}
	if n, err := page.Locator("[data-prefetch]").Count(); err != nil || n != 0 {
		t.Errorf("passing over the rows marked %d links for prefetch (%v), want 0", n, err)
	}

	// Resting on a row does prefetch it, once however often it is hovered;
	// so does keeping the keyboard focus on a row's link. (An attempt made
	// again above may have fetched these rows before: count from here.)
	before = retrievesOf(t, app, "")
	was5, was8 := retrievesOf(t, app, ids[5]), retrievesOf(t, app, ids[8])
	rest := profileLink(page, ids[5])
	check(t, rest.Hover(), "resting the pointer on "+names[5])
	if !eventually(5*time.Second, func() bool { return retrievesOf(t, app, ids[5]) == was5+1 }) {
		t.Fatalf("resting on %s: Square was asked for it %d times, want 1", names[5], retrievesOf(t, app, ids[5])-was5)
	}
	parkMouse(t, page)
	check(t, rest.Hover(), "resting on "+names[5]+" again")
	check(t, profileLink(page, ids[8]).Focus(), "focusing "+names[8])
	if !eventually(5*time.Second, func() bool { return retrievesOf(t, app, ids[8]) == was8+1 }) {
		t.Fatalf("focusing %s: Square was asked for it %d times, want 1", names[8], retrievesOf(t, app, ids[8])-was8)
	}
	time.Sleep(500 * time.Millisecond)
	if n := retrievesOf(t, app, "") - before; n != 2 {
		t.Errorf("resting on two links, one of them twice: Square was asked for %d customers, want 2", n)
	}
}

// passOverTheRows moves the mouse across thirty rows on its way down the
// table, one row a step, as a hand does on its way somewhere else, and then
// tabs through the last rows' links to the pager.
func passOverTheRows(t *testing.T, page playwright.Page, ids []string) {
	t.Helper()
	center := func(i int) (x, y float64) {
		box, err := profileLink(page, ids[i]).BoundingBox()
		check(t, err, "the position of a row's link")
		return box.X + box.Width/2, box.Y + box.Height/2
	}
	x0, y0 := center(0)
	x1, y1 := center(30)
	check(t, page.Mouse().Move(x0, y0), "pointing at the first row")
	check(t, page.Mouse().Move(x1, y1, playwright.MouseMoveOptions{Steps: playwright.Int(30)}), "sweeping across thirty rows")
	parkMouse(t, page)

	check(t, profileLink(page, ids[38]).Focus(), "focusing a row's link")
	for range 14 {
		check(t, page.Keyboard().Press("Tab"), "pressing Tab")
	}
	focusInRows, err := page.Evaluate(`() => !!document.activeElement.closest('#customer-rows')`)
	check(t, err, "reading the focus")
	if focusInRows == true {
		t.Fatal("after tabbing, the focus is still in the table; want it past the rows")
	}
}

// restWatch logs, with the page's clock, every event that app.js arms or
// disarms a prefetch on, and which row link (if any) it puts the pointer
// or focus on. Its listeners capture on window, so they run just before
// app.js's.
const restWatch = `() => {
	const log = window.speedTestRests = [];
	const link = t => (t instanceof Element && t.closest('#customer-rows a[href]')) || null;
	for (const type of ['mousemove', 'focusin', 'mouseout', 'focusout']) {
		addEventListener(type, e => log.push({at: performance.now(),
			on: type === 'mousemove' || type === 'focusin' ? link(e.target) : null}), true);
	}
}`

// longestRest is the longest time (ms) restWatch saw the pointer or the
// focus stay on one row link: from the event that put it there to the
// first that took it elsewhere, or to now.
func longestRest(t *testing.T, page playwright.Page) float64 {
	t.Helper()
	v, err := page.Evaluate(`() => {
		const log = window.speedTestRests || [];
		let longest = 0;
		for (let i = 0; i < log.length; i++) {
			if (!log[i].on || (i > 0 && log[i - 1].on === log[i].on)) continue;
			let j = i + 1;
			while (j < log.length && log[j].on === log[i].on) j++;
			const until = j < log.length ? log[j].at : performance.now();
			longest = Math.max(longest, until - log[i].at);
		}
		return longest;
	}`)
	check(t, err, "reading how long the pointer and the focus stayed on a link")
	switch n := v.(type) {
	case float64:
		return n
	case int:
		return float64(n)
	}
	t.Fatalf("the longest stay on a link is %v (%T), want a number", v, v)
	return 0
}

// indicatorWatch records, in every document of the context, when each
// progress indicator was first visible (computed opacity above 0), how
// opaque it was then and at most, and when the last click, form submit or
// htmx request started and the last htmx request ended. It keeps them in
// sessionStorage, so the record of a page survives the navigation it
// started. Times are Date.now().
const indicatorWatch = `(() => {
	const key = k => 'speed-test:' + k;
	const now = k => sessionStorage.setItem(key(k), String(Date.now()));
	addEventListener('click', () => now('start'), true);
	addEventListener('submit', () => now('start'), true);
	// A CSS transition counts its delay from its frame's time, which in a
	// long task (htmx evaluated on demand issues the search it replays)
	// may be well before the script ran: an htmx request starts then.
	addEventListener('htmx:beforeRequest', () => sessionStorage.setItem(key('start'),
		String(Math.round(performance.timeOrigin + (document.timeline.currentTime ?? performance.now())))));
	addEventListener('htmx:afterRequest', () => now('end'));
	const sample = () => {
		for (const id of ['global-indicator', 'search-indicator']) {
			const el = document.getElementById(id);
			const o = el ? parseFloat(getComputedStyle(el).opacity) : 0;
			if (!(o > 0)) continue;
			const seen = JSON.parse(sessionStorage.getItem(key(id)) || 'null') || {first: Date.now(), firstOpacity: o, max: 0};
			if (o > seen.max) {
				seen.max = o;
				sessionStorage.setItem(key(id), JSON.stringify(seen));
			}
		}
		requestAnimationFrame(sample);
	};
	requestAnimationFrame(sample);
})()`

// indicatorRecord is what indicatorWatch saw.
type indicatorRecord struct {
	Start, End int64 // ms since the epoch; 0 when not seen
	// Shown is nil when the indicator was never visible.
	Shown *struct {
		First        int64   `json:"first"`
		FirstOpacity float64 `json:"firstOpacity"`
		Max          float64 `json:"max"`
	}
	// Arrived is when the current document's first byte came (its
	// navigation's responseStart), ms since the epoch.
	Arrived int64
}

func resetIndicatorWatch(t *testing.T, page playwright.Page) {
	t.Helper()
	_, err := page.Evaluate(`() => Object.keys(sessionStorage).filter(k => k.startsWith('speed-test:')).forEach(k => sessionStorage.removeItem(k))`)
	check(t, err, "resetting the indicator watch")
}

func readIndicatorWatch(t *testing.T, page playwright.Page, id string) indicatorRecord {
	t.Helper()
	v, err := page.Evaluate(`id => {
		const get = k => sessionStorage.getItem('speed-test:' + k);
		const nav = performance.getEntriesByType('navigation')[0];
		return JSON.stringify({start: +get('start') || 0, end: +get('end') || 0, shown: JSON.parse(get(id) || 'null'),
			arrived: Math.round(performance.timeOrigin + nav.responseStart)});
	}`, id)
	check(t, err, "reading the indicator watch")
	var raw struct {
		Start, End, Arrived int64
		Shown               json.RawMessage
	}
	check(t, json.Unmarshal([]byte(v.(string)), &raw), "decoding the indicator watch")
	r := indicatorRecord{Start: raw.Start, End: raw.End, Arrived: raw.Arrived}
	if string(raw.Shown) != "null" {
		check(t, json.Unmarshal(raw.Shown, &r.Shown), "decoding the indicator's record")
	}
	return r
}

// earliestShown is how soon after a request starts (ms) its indicator may
// be seen: 150 ms, less one frame, because a CSS transition (htmx's
// indicators) counts its delay from the start of the frame in which the
// class was added, which may be a few ms before the script added it.
const earliestShown = 150 - 20

// expectShownWhenSlow checks an indicator for a request slower than 150 ms:
// visible, but not before 150 ms had passed, and fully (with reduced
// motion, at once: no fade).
func expectShownWhenSlow(t *testing.T, r indicatorRecord, what string, reduced bool) {
	t.Helper()
	if r.Shown == nil {
		t.Errorf("%s: the progress indicator never became visible", what)
		return
	}
	if after := r.Shown.First - r.Start; after < earliestShown {
		t.Errorf("%s: the progress indicator became visible %d ms after the request started, want 150 ms or more", what, after)
	}
	if r.Shown.Max < 0.99 {
		t.Errorf("%s: the progress indicator reached opacity %v, want 1", what, r.Shown.Max)
	}
	if reduced && r.Shown.FirstOpacity < 0.99 {
		t.Errorf("%s with reduced motion: the progress indicator faded in from opacity %v, want it shown at once", what, r.Shown.FirstOpacity)
	}
}

// expectHiddenWhenFast checks an indicator for a request that may have been
// fast: it never shows before 150 ms, and not at all for a request done in
// well under 150 ms (a busy machine may make this one slow: that is logged).
func expectHiddenWhenFast(t *testing.T, r indicatorRecord, took int64, what string) {
	t.Helper()
	t.Logf("%s took %d ms", what, took)
	if r.Shown == nil {
		return
	}
	if after := r.Shown.First - r.Start; after < earliestShown {
		t.Errorf("%s: the progress indicator became visible %d ms after the request started, want never before 150 ms", what, after)
	}
	if took < 120 {
		t.Errorf("%s: the progress indicator became visible for a request of %d ms, want it hidden under 150 ms", what, took)
	}
}

func TestSlowRequestsShowProgressAndFastOnesDoNot(t *testing.T) {
	t.Parallel()
	// Square serves the directory here (TESSERA_INDEX=off): what these
	// tests time and count is Square's part, which the index would take
	// away from the directory half way through the test.
	app := startAppWith(t, "TESSERA_INDEX=off")
	page := newPage(t, app)
	check(t, page.Context().AddInitScript(playwright.Script{Content: playwright.String(indicatorWatch)}), "adding the indicator watch")
	signIn(t, page, merchantHarbor)
	directoryLink := page.GetByRole(*playwright.AriaRoleNavigation, playwright.PageGetByRoleOptions{Name: "Main"}).
		GetByRole(*playwright.AriaRoleLink, playwright.LocatorGetByRoleOptions{Name: "Customers"})
	search := byRole(page, *playwright.AriaRoleSearchbox, "Search")

	// navigate follows the "Customers" link and waits for the new page.
	navigate := func(what string) {
		t.Helper()
		resetIndicatorWatch(t, page)
		_, err := page.Evaluate(`() => { window.speedTestLeft = true; }`)
		check(t, err, "marking the page that is left")
		check(t, directoryLink.Click(), what)
		_, err = page.WaitForFunction(`() => !window.speedTestLeft && document.readyState === 'complete'`, nil)
		check(t, err, "the new page after "+what)
		check(t, expect.Locator(customerRows(page).First()).ToBeVisible(), "the directory after "+what)
	}
	// searchFor types q into Search and waits for htmx's answer.
	searchFor := func(q, what string) {
		t.Helper()
		resetIndicatorWatch(t, page)
		_, err := page.ExpectResponse(func(u string) bool { return strings.Contains(u, "q="+q) }, func() error { return search.Fill(q) })
		check(t, err, what)
		check(t, expect.Locator(page.GetByTestId("search-indicator")).ToHaveCSS("opacity", "0"), "Searching… gone after "+what)
	}

	t.Run("fast", func(t *testing.T) {
		navigate("following a link")
		r := readIndicatorWatch(t, page, "global-indicator")
		expectHiddenWhenFast(t, r, r.Arrived-r.Start, "a fast page")

		searchFor("fast", "a fast search")
		r = readIndicatorWatch(t, page, "search-indicator")
		expectHiddenWhenFast(t, r, r.End-r.Start, "a fast search")
	})

	for _, reduced := range []bool{false, true} {
		name, motion := "slow", playwright.ReducedMotionNoPreference
		if reduced {
			name, motion = "slow with reduced motion", playwright.ReducedMotionReduce
		}
		t.Run(name, func(t *testing.T) {
			check(t, page.EmulateMedia(playwright.PageEmulateMediaOptions{ReducedMotion: motion}), "emulating prefers-reduced-motion")
			injectLatency(t, app, squareLatency)
			defer clearFaults(t, app)

			navigate("following a link while Square is slow")
			expectShownWhenSlow(t, readIndicatorWatch(t, page, "global-indicator"), "a slow page", reduced)
			// On the new page the bar is gone.
			check(t, expect.Locator(page.Locator("#global-indicator")).ToHaveCSS("opacity", "0"), "no progress bar once the page is there")
			if reduced {
				anim, err := page.Evaluate(`() => getComputedStyle(document.getElementById('global-indicator'), '::before').animationName`)
				check(t, err, "reading the bar's animation")
				if anim != "none" {
					t.Errorf("with reduced motion the bar's animation is %v, want none", anim)
				}
			}

			searchFor("slow", "a search while Square is slow")
			expectShownWhenSlow(t, readIndicatorWatch(t, page, "search-indicator"), "a slow search", reduced)
		})
	}

	// A plain form (not htmx): signing out, which revokes the token at
	// Square.
	t.Run("slow form", func(t *testing.T) {
		injectLatency(t, app, squareLatency)
		defer clearFaults(t, app)
		resetIndicatorWatch(t, page)
		check(t, page.GetByTestId("sign-out").Click(), `clicking "Sign out"`)
		check(t, expect.Page(page).ToHaveURL(urlPath("/login")), "signed out")
		expectShownWhenSlow(t, readIndicatorWatch(t, page, "global-indicator"), "signing out while Square is slow", false)
	})
}

// layoutShiftWatch keeps every layout shift of the document in
// window.speedTestShifts, from its first paint on (buffered).
const layoutShiftWatch = `(() => {
	window.speedTestShifts = [];
	new PerformanceObserver(list => {
		for (const e of list.getEntries()) {
			window.speedTestShifts.push({value: e.value, recent: e.hadRecentInput,
				sources: e.sources.map(s => s.node ? (s.node.nodeName + (s.node.id ? '#' + s.node.id : '') + ' ' + (s.node.textContent || '').trim().slice(0, 30)) : '')});
		}
	}).observe({type: 'layout-shift', buffered: true});
})()`

// takeLayoutShift returns the sum of the document's layout shifts since the
// last take, those just after an input too (which CLS leaves out), and
// describes them.
func takeLayoutShift(t *testing.T, page playwright.Page) (float64, string) {
	t.Helper()
	v, err := page.Evaluate(`() => { const s = window.speedTestShifts || []; window.speedTestShifts = []; return JSON.stringify(s); }`)
	check(t, err, "reading the layout shifts")
	var shifts []struct {
		Value   float64
		Recent  bool
		Sources []string
	}
	check(t, json.Unmarshal([]byte(v.(string)), &shifts), "decoding the layout shifts")
	sum := 0.0
	var desc []string
	for _, s := range shifts {
		sum += s.Value
		desc = append(desc, fmt.Sprintf("%.4f (after input: %v) of %q", s.Value, s.Recent, s.Sources))
	}
	return sum, strings.Join(desc, "; ")
}

func TestResultsArriveWithoutLayoutShift(t *testing.T) {
	t.Parallel()
	app := startAppWith(t, squareSearch)
	page := newPage(t, app)
	check(t, page.Context().AddInitScript(playwright.Script{Content: playwright.String(layoutShiftWatch)}), "adding the layout shift watch")
	signIn(t, page, merchantHarbor)
	_, _, token := emailToken(t, page)
	check(t, page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{State: playwright.LoadStateLoad}), "the directory loads")

	// Square is slow, so each answer comes well after the input that asked
	// for it, where CLS counts a shift.
	injectLatency(t, app, squareLatency)
	defer clearFaults(t, app)
	expectNoShift := func(what string) {
		t.Helper()
		time.Sleep(200 * time.Millisecond) // a frame or two after the swap
		if cls, desc := takeLayoutShift(t, page); cls > 0 {
			t.Errorf("%s: layout shift %.4f, want 0: %s", what, cls, desc)
		} else {
			t.Logf("%s: layout shift %.4f", what, cls)
		}
	}
	expectNoShift("the directory's load")

	search := byRole(page, *playwright.AriaRoleSearchbox, "Search")
	_, err := page.ExpectResponse(func(u string) bool { return strings.Contains(u, "field=email") }, func() error {
		_, err := page.GetByLabel("Look in").SelectOption(playwright.SelectOptionValues{Labels: &[]string{"Email"}})
		return err
	})
	check(t, err, `choosing "Look in: Email"`)
	expectNoShift(`changing "Look in"`)

	_, err = page.ExpectResponse(func(u string) bool { return strings.Contains(u, "q="+token) }, func() error { return search.Fill(token) })
	check(t, err, "searching for "+token)
	check(t, expect.Locator(page.GetByTestId("filter-chip")).ToContainText(token), "the search's chip")
	expectNoShift("a search's results")

	_, err = page.ExpectResponse(func(u string) bool { return strings.Contains(u, "/customers?") && !strings.Contains(u, "q="+token) }, func() error { return search.Fill("") })
	check(t, err, "clearing the search")
	check(t, expect.Locator(customerRows(page)).ToHaveCount(50), "the whole directory again")
	expectNoShift("clearing the search")

	more := page.GetByTestId("load-more")
	check(t, more.Click(), `clicking "Load more"`)
	check(t, expect.Locator(customerRows(page)).ToHaveCount(100), "a second page of rows")
	expectNoShift(`"Load more"`)

	ids, _ := listedCustomers(t, page)
	check(t, profileLink(page, ids[60]).Click(), "opening a profile")
	waitProfile(t, page)
	check(t, page.WaitForLoadState(playwright.PageWaitForLoadStateOptions{State: playwright.LoadStateLoad}), "the profile loads")
	expectNoShift("the profile's load")
}
