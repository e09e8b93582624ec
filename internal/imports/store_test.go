package imports_test

import (
	"context"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/imports"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/store"
)

func TestFilesAreSweptADayAfterUploadOrWithTheirJob(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	st, js := imports.NewStore(db), jobs.NewStore(db)
	now := time.Now()
	save := func(at time.Time) string {
		id, err := st.Save(ctx, imports.File{MerchantID: "M", Name: "f.csv", Bytes: []byte("First Name\nAda\n"), Uploaded: at})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	fresh, stale, started := save(now.Add(-time.Hour)), save(now.Add(-25*time.Hour)), save(now.Add(-25*time.Hour))
	job, err := js.Create(ctx, jobs.Job{MerchantID: "M", Kind: jobs.Import, Created: now.Add(-8 * 24 * time.Hour)}, []jobs.Item{{Name: "Ada"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetJob(ctx, "M", started, job); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Sweep(ctx, now); err != nil || n != 1 {
		t.Errorf("Sweep = %d, %v; want only the unstarted file of yesterday", n, err)
	}
	if _, err := st.Get(ctx, "M", stale); err != imports.ErrNotFound {
		t.Errorf("the unstarted day-old file = %v, want swept", err)
	}
	if _, err := st.Get(ctx, "M", started); err != nil {
		t.Errorf("the started file = %v, want kept while its job is", err)
	}
	// The job's retention ends: its file goes with it.
	if _, err := js.Sweep(ctx, now.Add(-jobs.Retention)); err != nil {
		t.Fatal(err)
	}
	if n, err := st.Sweep(ctx, now); err != nil || n != 1 {
		t.Errorf("Sweep after the job's = %d, %v; want the started file", n, err)
	}
	f, err := st.Get(ctx, "M", fresh)
	if err != nil || f.SHA256 != imports.Hash([]byte("First Name\nAda\n")) {
		t.Errorf("today's file = %+v, %v; want kept, with its hash", f, err)
	}
	if _, err := st.Get(ctx, "OTHER", fresh); err != imports.ErrNotFound {
		t.Errorf("another merchant's Get = %v, want ErrNotFound", err)
	}
}
