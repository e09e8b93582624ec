package indexsync_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/indexsync"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/squarelocal"
	"github.com/tessera-dashboard/tessera/internal/store"
)

// BenchmarkDatabaseSize100k measures the disk the customer index takes,
// for sizing (docs/operations.md): a full sync of the emulator's 100,000
// demo customers of one merchant into a fresh database, then the database
// file after a checkpoint (the WAL folded in) and a `web backup` copy of
// it (store.Backup, compacted), each per 10,000 customers. Run it with
// -benchtime 1x:
//
//	go test -run '^$' -bench DatabaseSize100k -benchtime 1x ./internal/indexsync/
func BenchmarkDatabaseSize100k(b *testing.B) {
	const customers = 100_000
	for b.Loop() {
		emu := squarelocal.New(squarelocal.Options{CustomersPerMerchant: customers, Seed: 7})
		merchant := emu.Merchants()[0].ID
		client, err := square.NewClient(square.Options{
			BaseURL: "http://squarelocal.invalid", Transport: emu.Transport(), AccessToken: emu.MintAccessToken(merchant),
		})
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		db, err := store.Open(b.Context(), dir)
		if err != nil {
			b.Fatal(err)
		}
		if err := indexsync.New(index.New(db), indexsync.Options{}).Full(b.Context(), merchant, client.Customers); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Writer().ExecContext(b.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(filepath.Join(dir, store.FileName))
		if err != nil {
			b.Fatal(err)
		}
		backup, err := store.Backup(b.Context(), dir, filepath.Join(b.TempDir(), "backup.db"), false)
		if err != nil {
			b.Fatal(err)
		}
		const per = customers / 10_000
		b.ReportMetric(float64(st.Size())/per/1e6, "MB-db/10k-customers")
		b.ReportMetric(float64(backup.Size)/per/1e6, "MB-backup/10k-customers")
		b.ReportMetric(backup.Duration.Seconds(), "s/backup")
		db.Close()
		emu.Close()
	}
}
