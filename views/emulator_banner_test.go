package views

import (
	"strings"
	"testing"

	"github.com/a-h/templ"
)

func TestPageEmulatorBannerNamesTheEmulator(t *testing.T) {
	t.Parallel()
	l := signedInLayout()
	l.EmulatorURL = "http://127.0.0.1:8081"
	doc, _ := render(t, Page(l, templ.NopComponent))
	banner := doc.Find(`[data-testid="emulator-banner"]`)
	if banner.Length() != 1 {
		t.Fatalf("Page(EmulatorURL) has %d emulator banners, want 1", banner.Length())
	}
	if text := banner.Text(); !strings.Contains(text, "emulator at http://127.0.0.1:8081") || !strings.Contains(text, "not from Square") {
		t.Errorf("emulator banner = %q, want it to name the emulator's URL and say the data is not from Square", text)
	}
	if n := doc.Find(`[data-testid="local-banner"]`).Length(); n != 0 {
		t.Errorf("Page(EmulatorURL) shows the local demo banner too")
	}
	if n := doc.Find(`[data-testid="emulator-banner"]`).Length(); n != 1 {
		t.Errorf("emulator banners = %d, want 1", n)
	}
	l.EmulatorURL = ""
	if doc, _ := render(t, Page(l, templ.NopComponent)); doc.Find(`[data-testid="emulator-banner"]`).Length() != 0 {
		t.Errorf("Page without EmulatorURL shows the emulator banner")
	}
}
