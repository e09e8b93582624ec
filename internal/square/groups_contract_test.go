package square

import (
	"slices"
	"testing"

	"github.com/tessera-dashboard/tessera/internal/squarelocal"
)

func TestContractGroupLifecycleAndMembership(t *testing.T) {
	t.Parallel()
	c := newContract(t, 3)
	ctx := t.Context()

	g, err := c.a.Customers.CreateGroup(ctx, "grp-1", "Wholesale")
	if err != nil || g.ID == "" || g.Name != "Wholesale" {
		t.Fatalf("CreateGroup = %+v, %v", g, err)
	}
	again, err := c.a.Customers.CreateGroup(ctx, "grp-1", "Wholesale")
	if err != nil || again.ID != g.ID {
		t.Errorf("CreateGroup with the same key = %+v, %v; want group %s again", again, err, g.ID)
	}
	if _, err := c.a.Customers.CreateGroup(ctx, "", ""); squareErr(t, err).Field != "group.name" {
		t.Errorf("CreateGroup(no name) = %v, want an error on group.name", err)
	}
	renamed, err := c.a.Customers.RenameGroup(ctx, g.ID, "Trade")
	if err != nil || renamed.Name != "Trade" {
		t.Fatalf("RenameGroup = %+v, %v", renamed, err)
	}
	got, err := c.a.Customers.GetGroup(ctx, g.ID)
	if err != nil || got.Name != "Trade" {
		t.Errorf("GetGroup = %+v, %v; want Trade", got, err)
	}
	if _, err := c.b.Customers.GetGroup(ctx, g.ID); !IsNotFound(err) {
		t.Errorf("another merchant's GetGroup = %v, want NOT_FOUND", err)
	}

	cu := listAll(t, c.a, 10)[0]
	if err := c.a.Customers.AddToGroup(ctx, cu.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.a.Customers.AddToGroup(ctx, cu.ID, g.ID); err != nil {
		t.Errorf("adding again = %v, want no error", err)
	}
	after, _ := c.a.Customers.Get(ctx, cu.ID)
	if !slices.Contains(after.GroupIDs, g.ID) {
		t.Errorf("group_ids after AddToGroup = %v, want %s in it", after.GroupIDs, g.ID)
	}
	if err := c.a.Customers.AddToGroup(ctx, cu.ID, "NOPE"); !IsNotFound(err) {
		t.Errorf("AddToGroup(unknown group) = %v, want NOT_FOUND", err)
	}
	if err := c.a.Customers.RemoveFromGroup(ctx, cu.ID, g.ID); err != nil {
		t.Fatal(err)
	}
	after, _ = c.a.Customers.Get(ctx, cu.ID)
	if slices.Contains(after.GroupIDs, g.ID) {
		t.Errorf("group_ids after RemoveFromGroup = %v, want %s gone", after.GroupIDs, g.ID)
	}
	if err := c.a.Customers.DeleteGroup(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.a.Customers.GetGroup(ctx, g.ID); !IsNotFound(err) {
		t.Errorf("GetGroup after delete = %v, want NOT_FOUND", err)
	}
}

func TestContractMembershipIsRetriedAfterRetryAfter(t *testing.T) {
	t.Parallel()
	c := newContract(t, 2)
	ctx := t.Context()
	g, err := c.a.Customers.CreateGroup(ctx, "", "Retry")
	if err != nil {
		t.Fatal(err)
	}
	cu := listAll(t, c.a, 10)[0]
	if err := c.emu.InjectFault(squarelocal.Fault{Kind: squarelocal.FaultRateLimit, RetryAfter: 1, Count: 1, Endpoint: "PUT /v2/customers/{customer_id}/groups/{group_id}"}); err != nil {
		t.Fatal(err)
	}
	c.emu.ResetCalls()
	if err := c.a.Customers.AddToGroup(ctx, cu.ID, g.ID); err != nil {
		t.Errorf("AddToGroup after one 429 = %v, want it retried", err)
	}
	if n := len(c.emu.Calls()); n != 2 {
		t.Errorf("emulator saw %d calls, want 2", n)
	}
}

func TestContractBulkCalls(t *testing.T) {
	t.Parallel()
	c := newContract(t, -1)
	ctx := t.Context()

	made, err := c.a.Customers.BulkCreate(ctx, map[string]CreateCustomerRequest{
		"k1": {GivenName: "Ada"}, "k2": {GivenName: "Grace"}, "k3": {EmailAddress: "not-an-email"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if made["k1"].Customer == nil || made["k2"].Customer == nil {
		t.Fatalf("BulkCreate = %+v, want k1 and k2 created", made)
	}
	if made["k3"].Err == nil || made["k3"].Err.Field == "" {
		t.Errorf("BulkCreate k3 = %+v, want its own error naming the field", made["k3"])
	}
	a, b := made["k1"].Customer.ID, made["k2"].Customer.ID

	up, err := c.a.Customers.BulkUpdate(ctx, map[string]UpdateCustomerRequest{
		a: {Nickname: Set("Countess")}, b: {Nickname: Set("x"), Version: new(int64(7))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up[a].Customer == nil || up[a].Customer.Nickname != "Countess" {
		t.Errorf("BulkUpdate %s = %+v, want nickname Countess", a, up[a])
	}
	if !IsVersionMismatch(up[b].Err) {
		t.Errorf("BulkUpdate %s with a stale version = %+v, want VERSION_MISMATCH", b, up[b])
	}

	got, err := c.a.Customers.BulkGet(ctx, []string{a, "GONE"})
	if err != nil {
		t.Fatal(err)
	}
	if got[a].Customer == nil || !IsNotFound(got["GONE"].Err) {
		t.Errorf("BulkGet = %+v, want %s found and GONE not found", got, a)
	}
	// Another merchant's ids are unknown to this one.
	other, err := c.b.Customers.BulkDelete(ctx, []string{a})
	if err != nil || !IsNotFound(other[a].Err) {
		t.Errorf("another merchant's BulkDelete = %+v, %v; want NOT_FOUND for %s", other, err, a)
	}

	del, err := c.a.Customers.BulkDelete(ctx, []string{a, b, "GONE"})
	if err != nil {
		t.Fatal(err)
	}
	if del[a].Err != nil || del[b].Err != nil || !IsNotFound(del["GONE"].Err) {
		t.Errorf("BulkDelete = %+v, want a and b deleted, GONE not found", del)
	}
	if _, err := c.a.Customers.BulkDelete(ctx, make([]string, MaxBulk+1)); err == nil {
		t.Error("BulkDelete of 101 ids = nil error, want it refused before calling Square")
	}
}
