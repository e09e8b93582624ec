package imports_test

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/tessera-dashboard/tessera/internal/imports"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/store"
	"github.com/tessera-dashboard/tessera/internal/store/pgtest"
	"github.com/tessera-dashboard/tessera/internal/store/postgres"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// database is what both stores need of either engine.
type database interface {
	imports.DB
	jobs.DB
}

// onBothEngines runs test against SQLite and PostgreSQL: replicas on
// PostgreSQL share the uploaded files.
func onBothEngines(t *testing.T, test func(*testing.T, database)) {
	t.Run("SQLite", func(t *testing.T) {
		db, err := store.Open(t.Context(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		test(t, db)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		db, err := postgres.Open(t.Context(), pgtest.Database(t))
		if err != nil {
			t.Fatalf("postgres.Open: %v", err)
		}
		t.Cleanup(db.Close)
		test(t, db)
	})
}

func TestFilesAreSweptADayAfterUploadOrWithTheirJob(t *testing.T) {
	onBothEngines(t, testFilesAreSwept)
}

func testFilesAreSwept(t *testing.T, db database) {
	ctx := t.Context()
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

func TestAFileKeepsItsBytesChoicesAndJob(t *testing.T) {
	onBothEngines(t, func(t *testing.T, db database) {
		ctx := t.Context()
		st, js := imports.NewStore(db), jobs.NewStore(db)
		// Windows-1252 bytes and a NUL: a file is kept as uploaded, not as text.
		raw := []byte("Given Name;Family Name\r\nJ\xfcrgen;M\xfcller\x00\r\n")
		id, err := st.Save(ctx, imports.File{MerchantID: "M", Name: "kunden.csv", Bytes: raw, Uploaded: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		choices := imports.Choices{Mapping: []string{"given_name", "family_name"}, Mapped: true}
		if err := st.SetChoices(ctx, "M", id, choices); err != nil {
			t.Fatal(err)
		}
		job, err := js.Create(ctx, jobs.Job{MerchantID: "M", Kind: jobs.Import, Created: time.Now()}, []jobs.Item{{Name: "Jürgen"}})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.SetJob(ctx, "M", id, job); err != nil {
			t.Fatal(err)
		}
		f, err := st.ByJob(ctx, "M", job)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(f.Bytes, raw) || f.SHA256 != imports.Hash(raw) || f.Name != "kunden.csv" || f.JobID != job {
			t.Errorf("ByJob = %q %q %q %q, want the file as saved with its job", f.Bytes, f.SHA256, f.Name, f.JobID)
		}
		if len(f.Choices.Mapping) != 2 || f.Choices.Mapping[1] != "family_name" || !f.Choices.Mapped {
			t.Errorf("choices = %+v, want %+v", f.Choices, choices)
		}
		if name, err := st.FileName(ctx, "M", job); err != nil || name != "kunden.csv" {
			t.Errorf("FileName = %q, %v", name, err)
		}
		// Another merchant can neither read nor change it.
		if _, err := st.ByJob(ctx, "OTHER", job); err != imports.ErrNotFound {
			t.Errorf("another merchant's ByJob = %v, want ErrNotFound", err)
		}
		if err := st.SetChoices(ctx, "OTHER", id, imports.Choices{}); err != nil {
			t.Fatal(err)
		}
		if f, _ := st.Get(ctx, "M", id); !f.Choices.Mapped {
			t.Error("another merchant's SetChoices changed the file")
		}
		if err := st.DropMerchant(ctx, "M"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Get(ctx, "M", id); err != imports.ErrNotFound {
			t.Errorf("after DropMerchant Get = %v, want ErrNotFound", err)
		}
	})
}
