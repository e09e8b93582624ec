package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/customers"
	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/jobs"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// Bulk actions on the customers selected in the directory. POST
// /customers/bulk resolves the selection (the rows ticked, the page, or
// every match of the search from the index) and asks to confirm; POST
// /customers/bulk/run checks the selection again, starts a job and goes to
// its page, /jobs/:job.

// maxSelection is the most customers one bulk action takes. 5,000 ids
// posted back by the confirmation form are about 150 KB, inside the
// 256 KB limit on a request body; a group change on 5,000 at 4 calls in
// flight takes about 2 minutes at Square's usual 100 ms a call, and a
// delete 50 calls. More is refused with the limit stated, never cut short.
const maxSelection = 5000

// Values of the bulk forms.
const (
	bulkAdd    = "add"
	bulkRemove = "remove"
	bulkDelete = "delete"
	allPage    = "p"
	allMatch   = "m"
	shownNames = 5
)

// selectionRefused is the answer to a selection that cannot be acted on;
// the message says why (with the limit, when that is why).
func selectionRefused(message string) error {
	return &pageError{Status: http.StatusUnprocessableEntity, Title: "This selection cannot be used",
		Message: message, BackURL: selectPrefix, BackLabel: "Back to selecting"}
}

// backTo is the directory address a bulk form came from, if it is one.
func backTo(raw string) string {
	if raw == "/customers" || strings.HasPrefix(raw, "/customers?") {
		return raw
	}
	return "/customers"
}

// bulkChoose resolves the selection and renders the confirmation.
func (a *app) bulkChoose(c echo.Context) error {
	form := postedForm(c)
	back := backTo(form.Get("q"))
	do := form.Get("do")
	if do != bulkAdd && do != bulkRemove && do != bulkDelete {
		return selectionRefused("Choose Add to group, Remove from group or Delete selected.")
	}
	ids, err := a.selectedIDs(c, form, back)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashError, Message: "Tick at least one customer first."})
		return redirect(c, inSelectMode(back))
	}
	items, err := a.lookupSelection(c, ids)
	if err != nil {
		return err
	}
	return a.renderBulkConfirm(c, http.StatusOK, do, items, back, "", "", "")
}

// selectedIDs are the ids a bulk form names: the rows ticked, the page's
// rows, or every customer the search matches (from the index), without
// repeats and at most maxSelection.
func (a *app) selectedIDs(c echo.Context, form url.Values, back string) ([]string, error) {
	ids := slices.Clone(form["i"])
	all := form["a"]
	if slices.Contains(all, allMatch) {
		matched, err := a.matchingIDs(c, back)
		if err != nil {
			return nil, err
		}
		ids = append(ids, matched...)
	} else if slices.Contains(all, allPage) {
		ids = append(ids, strings.Fields(form.Get("pg"))...)
	}
	seen := make(map[string]bool, len(ids))
	out := ids[:0]
	for _, id := range ids {
		if id == "" || seen[id] {
			continue
		}
		if len(id) > maxCustomerID || !textutil.IsIDSafe(id) {
			return nil, selectionRefused("The selection holds something that is not a customer. Select the customers again.")
		}
		seen[id] = true
		out = append(out, id)
	}
	if len(out) > maxSelection {
		return nil, tooMany(len(out))
	}
	return out, nil
}

func tooMany(n int) error {
	return selectionRefused(fmt.Sprintf("You selected %s customers. Tessera acts on at most %s at once, so that the change can be checked and its progress followed; narrow the search or filter, or act in parts.",
		thousands(int64(n)), thousands(maxSelection)))
}

// matchingIDs are the ids of every customer the directory address back
// matches, from the index; more than maxSelection is refused.
func (a *app) matchingIDs(c echo.Context, back string) ([]string, error) {
	if !a.indexState(c).ready {
		return nil, selectionRefused("Selecting every match needs the customer index, which is not ready yet. Tick the customers instead.")
	}
	raw := ""
	if _, after, ok := strings.Cut(back, "?"); ok {
		raw = after
	}
	q, problems := parseDirectoryQuery(raw, true)
	if len(problems) > 0 {
		return nil, selectionRefused("The search of this selection cannot be run. Search again, then select.")
	}
	ctx := c.Request().Context()
	merchant := sessionOf(c).MerchantID()
	iq := q.indexQuery()
	total, err := a.index.Total(ctx, merchant, iq)
	if err != nil {
		return nil, err
	}
	if total > maxSelection {
		return nil, tooMany(total)
	}
	var out []string
	iq.Limit = index.MaxLimit
	for iq.Offset = 0; iq.Offset < total; iq.Offset += index.MaxLimit {
		res, err := a.index.Search(ctx, merchant, iq)
		if err != nil {
			return nil, err
		}
		for _, h := range res.Rows {
			out = append(out, h.ID)
		}
		if len(res.Rows) < index.MaxLimit {
			break
		}
	}
	return out, nil
}

// indexGetter is the index's lookup of one customer.
type indexGetter interface {
	Get(ctx context.Context, merchantID, customerID string) (index.Customer, error)
}

// lookupSelection checks that every id is one of the signed-in merchant's
// customers and names each: from the index when it is ready, else (and
// for any the index lacks) by BulkRetrieveCustomers, 100 a call, 4 calls
// in flight. Another merchant's ids are unknown to this merchant's token,
// so a selection holding one is refused whole.
func (a *app) lookupSelection(c echo.Context, ids []string) ([]jobs.Item, error) {
	ctx := c.Request().Context()
	names := make(map[string]string, len(ids))
	if g, ok := a.index.(indexGetter); ok && a.indexState(c).ready {
		merchant := sessionOf(c).MerchantID()
		for _, id := range ids {
			if cu, err := g.Get(ctx, merchant, id); err == nil {
				names[id] = customers.Name(cu.GivenName, cu.FamilyName, cu.CompanyName, cu.EmailAddress, cu.PhoneNumber)
			}
		}
	}
	var missing []string
	for _, id := range ids {
		if _, ok := names[id]; !ok {
			missing = append(missing, id)
		}
	}
	unknown := 0
	err := bulkGet(ctx, a.groupAPI(c), missing, func(chunk []string, res map[string]square.BulkResult) {
		for _, id := range chunk {
			if r, ok := res[id]; ok && r.Customer != nil {
				names[id] = customers.DisplayName(r.Customer)
			} else {
				unknown++
			}
		}
	})
	if err != nil {
		return nil, err
	}
	if unknown > 0 {
		return nil, selectionRefused(fmt.Sprintf("%s of the selected customers are not in your directory: they may have been deleted, or belong to another Square account. Select the customers again.", thousands(int64(unknown))))
	}
	items := make([]jobs.Item, len(ids))
	for i, id := range ids {
		items[i] = jobs.Item{CustomerID: id, Name: cmpName(names[id])}
	}
	return items, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func cmpName(n string) string {
	if n == "" {
		return "Unnamed customer"
	}
	return n
}

// renderBulkConfirm renders the confirmation of an action on items.
func (a *app) renderBulkConfirm(c echo.Context, status int, do string, items []jobs.Item, back, chosen, typed, problem string) error {
	groups, err := a.freshGroups(c)
	if err != nil {
		return err
	}
	count := customersWord(len(items))
	v := views.BulkConfirmView{Do: do, Count: count, CSRFToken: csrfToken(c), BackURL: inSelectMode(back),
		New: views.Field{Name: groupNameField, ID: "group-name", Label: "Or a new group named", Value: typed, Error: problem}}
	switch do {
	case bulkAdd:
		v.Title = "Add " + count + " to a group"
	case bulkRemove:
		v.Title = "Remove " + count + " from a group"
	default:
		v.Title = "Delete " + count + "?"
	}
	if problem != "" {
		v.Errors = []views.FieldError{{FieldID: "group-name", Message: problem}}
	}
	for i, it := range items {
		if i < shownNames {
			v.Names = append(v.Names, it.Name)
		}
		v.IDs = append(v.IDs, it.CustomerID)
	}
	if len(items) > shownNames {
		v.More = "and " + thousands(int64(len(items)-shownNames)) + " more"
	}
	for _, g := range groups {
		v.Groups = append(v.Groups, views.Option{Value: g.ID, Label: g.Name, Selected: g.ID == chosen})
	}
	if do == bulkRemove && len(groups) == 0 {
		return selectionRefused("There are no groups to remove customers from.")
	}
	return render(c, status, views.BulkConfirmPage(a.layout(c, v.Title, views.NavCustomers), v))
}

// bulkRun checks the confirmed selection again and starts its job.
func (a *app) bulkRun(c echo.Context) error {
	form := postedForm(c)
	do := form.Get("do")
	if do != bulkAdd && do != bulkRemove && do != bulkDelete {
		return selectionRefused("Choose Add to group, Remove from group or Delete selected.")
	}
	ids, err := a.selectedIDs(c, url.Values{"i": form["i"]}, "/customers")
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return selectionRefused("No customers were selected.")
	}
	items, err := a.lookupSelection(c, ids)
	if err != nil {
		return err
	}
	job := jobs.Job{MerchantID: sessionOf(c).MerchantID(), Kind: jobs.Delete, Created: a.now()}
	if do != bulkDelete {
		job.Kind = jobs.AddToGroup
		if do == bulkRemove {
			job.Kind = jobs.RemoveFromGroup
		}
		g, status, problem, err := a.bulkGroup(c, do, form.Get("g"), form.Get(groupNameField))
		if err != nil {
			return err
		}
		if problem != "" {
			return a.renderBulkConfirm(c, status, do, items, "/customers", form.Get("g"), form.Get(groupNameField), problem)
		}
		job.GroupID, job.GroupName = g.ID, g.Name
	}
	id, err := a.jobs.Store().Create(c.Request().Context(), job, items)
	if err != nil {
		return err
	}
	a.jobs.Start(id, sessionOf(c).Data().AccessToken)
	return redirect(c, "/jobs/"+id)
}

// bulkGroup is the group a bulk change goes to: the one chosen, or for an
// add a new one made from the name typed. problem is the person's mistake.
func (a *app) bulkGroup(c echo.Context, do, chosen, typed string) (square.CustomerGroup, int, string, error) {
	groups, err := a.freshGroups(c)
	if err != nil {
		return square.CustomerGroup{}, 0, "", err
	}
	name := strings.TrimSpace(typed)
	if do == bulkAdd && name != "" {
		if problem := checkGroupName(name, groups, ""); problem != "" {
			return square.CustomerGroup{}, http.StatusUnprocessableEntity, problem, nil
		}
		g, err := a.groupAPI(c).CreateGroup(c.Request().Context(), newIdempotencyKey(), name)
		a.groupsChanged(c)
		if err != nil {
			if square.IsAuth(err) {
				return square.CustomerGroup{}, 0, "", err
			}
			return square.CustomerGroup{}, squareFailure(err).Status, "Square did not create the group just now. Try again in a moment.", nil
		}
		return *g, 0, "", nil
	}
	for _, g := range groups {
		if g.ID == chosen {
			return g, 0, "", nil
		}
	}
	if do == bulkAdd {
		return square.CustomerGroup{}, http.StatusUnprocessableEntity, "Choose a group, or type the name of a new one.", nil
	}
	return square.CustomerGroup{}, http.StatusUnprocessableEntity, "Choose the group to remove them from.", nil
}

// jobPage shows a job's progress, then its summary. A job that runs
// nowhere (Tessera restarted and no one was signed in) resumes here with
// the viewer's token, from the first customer not done.
func (a *app) jobPage(c echo.Context) error {
	if a.jobs == nil {
		return errJobNotFound
	}
	id := c.Param("job")
	if len(id) > 64 || !textutil.IsIDSafe(id) {
		return errJobNotFound
	}
	ctx := c.Request().Context()
	j, err := a.jobs.Store().Get(ctx, sessionOf(c).MerchantID(), id)
	if errors.Is(err, jobs.ErrNotFound) {
		return errJobNotFound
	}
	if err != nil {
		return err
	}
	if j.Running() && !a.jobs.Running(id) {
		a.jobs.Start(id, sessionOf(c).Data().AccessToken)
	}
	if j.Kind == jobs.Import && a.imports != nil {
		return a.importJobPage(c, j)
	}
	v := views.JobView{ID: id, Running: j.Running(), Processed: j.Done + j.Failed, Total: j.Total, PollURL: "/jobs/" + id}
	switch j.Kind {
	case jobs.AddToGroup:
		v.Title = "Adding " + customersWord(j.Total) + " to “" + j.GroupName + "”"
	case jobs.RemoveFromGroup:
		v.Title = "Removing " + customersWord(j.Total) + " from “" + j.GroupName + "”"
	default:
		v.Title = "Deleting " + customersWord(j.Total)
	}
	v.Progress = fmt.Sprintf("%s of %s done", thousands(int64(v.Processed)), thousands(int64(j.Total)))
	if !j.Running() {
		verb := map[jobs.Kind]string{jobs.AddToGroup: "added to “" + j.GroupName + "”",
			jobs.RemoveFromGroup: "removed from “" + j.GroupName + "”", jobs.Delete: "deleted"}[j.Kind]
		v.Summary = "Finished: " + customersWord(j.Done) + " " + verb + "."
		if j.Failed > 0 {
			v.Summary += " " + thousands(int64(j.Failed)) + " not, listed below."
		}
		failed, err := a.jobs.Store().Items(ctx, id, jobs.Failed, maxSelection)
		if err != nil {
			return err
		}
		for _, it := range failed {
			v.Failures = append(v.Failures, views.JobItem{Name: it.Name, Reason: it.Reason})
		}
		if j.Kind == jobs.Delete {
			done, err := a.jobs.Store().Items(ctx, id, jobs.Done, 100)
			if err != nil {
				return err
			}
			for _, it := range done {
				v.Succeeded = append(v.Succeeded, it.Name)
			}
			if j.Done > len(done) {
				v.SucceededMore = "and " + thousands(int64(j.Done-len(done))) + " more"
			}
		}
	}
	l := a.layout(c, v.Title, views.NavCustomers)
	if j.Running() {
		l.NoScriptRefresh = 2
	}
	return render(c, http.StatusOK, views.JobPage(l, v))
}

var errJobNotFound = &pageError{Status: http.StatusNotFound, Title: "Job not found",
	Message: "There is no such bulk change in this Square account. Finished ones are kept for 7 days.",
	BackURL: "/customers", BackLabel: "Go to customers"}

// bulkGet retrieves ids from Square by BulkRetrieveCustomers, 100 a call,
// jobs.DefaultWorkers calls in flight, and hands each call's answer to
// take, one at a time. It returns the first error in the order of the
// ids' calls, after every call has ended.
func bulkGet(ctx context.Context, api interface {
	BulkGet(ctx context.Context, ids []string) (map[string]square.BulkResult, error)
}, ids []string, take func(chunk []string, res map[string]square.BulkResult)) error {
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, jobs.DefaultWorkers)
	for start := 0; start < len(ids); start += square.MaxBulk {
		chunk := ids[start:min(start+square.MaxBulk, len(ids))]
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res, err := api.BulkGet(ctx, chunk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmpErr(firstErr, err)
				return
			}
			take(chunk, res)
		})
	}
	wg.Wait()
	return firstErr
}
