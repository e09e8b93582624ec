package imports

import (
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/customercsv"
	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/jobs"
)

func TestItemsFollowTheChecksAndChoices(t *testing.T) {
	tab, err := customercsv.Parse([]byte("First Name,Email Address,Square Customer ID\n" +
		"New,new@example.com,\n" + // 2 create
		"Bad,bad,\n" + // 3 fails the form's rules
		"Dup,dup@example.com,\n" + // 4 duplicate
		"Known,,CUST1\n" + // 5 update by id
		"Again,,CUST1\n" + // 6 the same customer again
		"Gone,,NOPE\n")) // 7 an id no longer there: created
	if err != nil {
		t.Fatal(err)
	}
	m := customercsv.AutoMap(tab.Header)
	rows := Check(tab, m, customers.Fields(false), time.Now())
	rows[2].Matches = []string{"EXIST"}
	items := Items(rows, "abcdef0123456789abcdef0123456789", Decisions{ByLine: map[int]string{4: DupUpdate}}, map[string]bool{"CUST1": true})
	want := []struct {
		state  jobs.State
		action string
		id     string
	}{
		{jobs.Pending, jobs.ActionCreate, ""},
		{jobs.Failed, "", ""},
		{jobs.Pending, jobs.ActionUpdate, "EXIST"},
		{jobs.Pending, jobs.ActionUpdate, "CUST1"},
		{jobs.Failed, "", ""},
		{jobs.Pending, jobs.ActionCreate, ""},
	}
	for i, w := range want {
		it := items[i]
		if it.State != w.state || it.Action != w.action || it.CustomerID != w.id || it.Line != i+2 {
			t.Errorf("line %d = %+v, want %+v", i+2, it, w)
		}
		if it.State == jobs.Failed && it.Reason == "" {
			t.Errorf("line %d failed without a reason", i+2)
		}
	}
	if k := Key("abcdef0123456789abcdef0123456789", 100000); len(k) > 45 {
		t.Errorf("Key = %q, longer than Square's 45", k)
	}
	if d := (Decisions{ByLine: map[int]string{4: "bogus"}}); d.For(4) != DupSkip || d.For(9) != DupSkip {
		t.Error("a row without a valid choice is not skipped")
	}
}
