package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/index"
	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/internal/textutil"
	"github.com/tessera-dashboard/tessera/views"
)

// The groups page (/groups) and a profile's groups. Square is silent on
// duplicate group names and accepts them (squarelocal does alike); two
// groups of one name cannot be told apart in the filter, so Tessera
// refuses a name that another group has, compared without case.

// groupService is what the group pages and the bulk actions' checks need
// of Square (the jobs themselves call Square through internal/jobs).
type groupService interface {
	CreateGroup(ctx context.Context, idempotencyKey, name string) (*square.CustomerGroup, error)
	RenameGroup(ctx context.Context, id, name string) (*square.CustomerGroup, error)
	DeleteGroup(ctx context.Context, id string) error
	AddToGroup(ctx context.Context, customerID, groupID string) error
	RemoveFromGroup(ctx context.Context, customerID, groupID string) error
	BulkGet(ctx context.Context, ids []string) (map[string]square.BulkResult, error)
}

// maxGroupName is Square's limit on a group's name, in characters.
const maxGroupName = 255

// groupNameField is the name input of the group forms.
const groupNameField = "name"

// forgetMerchant drops the merchant's cached groups, so the filter and
// the group names see a change at once.
func (mc *merchantCache) forget(merchantID string) {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	delete(mc.entries, merchantID)
}

// groupsChanged is called after every change of the merchant's groups.
func (a *app) groupsChanged(c echo.Context) {
	a.merchants.forget(sessionOf(c).MerchantID())
}

// checkGroupName checks a typed name against Square's rules and the
// merchant's other groups (except the one being renamed, skip).
func checkGroupName(name string, groups []square.CustomerGroup, skip string) string {
	switch {
	case name == "":
		return "Enter a name for the group."
	case utf8.RuneCountInString(name) > maxGroupName:
		return fmt.Sprintf("A group name can be at most %d characters.", maxGroupName)
	}
	for _, g := range groups {
		if g.ID != skip && strings.EqualFold(strings.TrimSpace(g.Name), name) {
			return "There is already a group named “" + g.Name + "”. Choose another name."
		}
	}
	return ""
}

func groupPath(id string) string { return "/groups/" + url.PathEscape(id) }

// groupID reads the :gid of the path.
func groupID(c echo.Context) (string, error) {
	id := c.Param("gid")
	if id == "" || len(id) > 255 || !textutil.IsIDSafe(id) {
		return "", errGroupNotFound
	}
	return id, nil
}

var errGroupNotFound = &pageError{Status: http.StatusNotFound, Title: "Group not found",
	Message: "This group is not in your Square account. It may have been deleted.",
	BackURL: "/groups", BackLabel: "Go to groups"}

// freshGroups reads the merchant's groups, without the cache: the pages
// that change groups must decide on what Square holds now.
func (a *app) freshGroups(c echo.Context) ([]square.CustomerGroup, error) {
	a.groupsChanged(c)
	info, err := a.merchantInfo(c)
	if err != nil {
		return nil, err
	}
	return info.Groups, nil
}

// groupMembers counts a group's customers: from the index when it is
// ready, else by Square's search count. ok is false when neither could.
func (a *app) groupMembers(c echo.Context, id string, useIndex bool) (int, bool) {
	ctx := c.Request().Context()
	if useIndex {
		if n, err := a.index.Total(ctx, sessionOf(c).MerchantID(), index.Query{GroupID: id}); err == nil {
			return n, true
		}
	}
	page, err := a.client(c).Customers.Search(ctx, &square.SearchCustomersRequest{Count: true, Limit: 1,
		Query: &square.CustomerQuery{Filter: &square.CustomerFilter{GroupIDs: &square.FilterValue{Any: []string{id}}}}})
	if err != nil || page.Count == nil {
		return 0, false
	}
	return int(*page.Count), true
}

func customersWord(n int) string {
	if n == 1 {
		return "1 customer"
	}
	return thousands(int64(n)) + " customers"
}

// groups is the groups page.
func (a *app) groups(c echo.Context) error {
	return a.renderGroups(c, http.StatusOK, "", "")
}

func (a *app) renderGroups(c echo.Context, status int, typed, problem string) error {
	groups, err := a.freshGroups(c)
	if err != nil {
		return err
	}
	useIndex := a.indexState(c).ready
	v := views.GroupsView{CSRFToken: csrfToken(c),
		New: views.Field{Name: groupNameField, ID: "group-name", Label: "Name", Value: typed, Error: problem, Required: true}}
	if problem != "" {
		v.Errors = []views.FieldError{{FieldID: "group-name", Message: problem}}
	}
	for _, g := range groups {
		members := "Not counted"
		if n, ok := a.groupMembers(c, g.ID, useIndex); ok {
			members = thousands(int64(n))
		}
		v.Groups = append(v.Groups, views.GroupRow{ID: g.ID, Name: g.Name, Members: members,
			MembersURL: "/customers?" + url.Values{"group": {g.ID}}.Encode(),
			RenameURL:  groupPath(g.ID) + "/rename", DeleteURL: groupPath(g.ID) + "/delete"})
	}
	return render(c, status, views.GroupsPage(a.layout(c, "Groups", views.NavGroups), v))
}

// createGroup makes a group from the groups page.
func (a *app) createGroup(c echo.Context) error {
	typed := postedForm(c).Get(groupNameField)
	name := strings.TrimSpace(typed)
	groups, err := a.freshGroups(c)
	if err != nil {
		return err
	}
	if problem := checkGroupName(name, groups, ""); problem != "" {
		return a.renderGroups(c, http.StatusUnprocessableEntity, typed, problem)
	}
	g, err := a.groupAPI(c).CreateGroup(c.Request().Context(), newIdempotencyKey(), name)
	a.groupsChanged(c)
	if err != nil {
		if square.IsAuth(err) {
			return err
		}
		a.logger.ErrorContext(c.Request().Context(), "creating a group failed", "err", err)
		return a.renderGroups(c, squareFailure(err).Status, typed, "Square did not create the group just now. Press Create group again in a moment.")
	}
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Group “" + g.Name + "” created."})
	return redirect(c, "/groups")
}

// findGroup returns the merchant's group of the path, fresh from Square.
func (a *app) findGroup(c echo.Context) (square.CustomerGroup, []square.CustomerGroup, error) {
	id, err := groupID(c)
	if err != nil {
		return square.CustomerGroup{}, nil, err
	}
	groups, err := a.freshGroups(c)
	if err != nil {
		return square.CustomerGroup{}, nil, err
	}
	i := slices.IndexFunc(groups, func(g square.CustomerGroup) bool { return g.ID == id })
	if i < 0 {
		return square.CustomerGroup{}, nil, errGroupNotFound
	}
	return groups[i], groups, nil
}

func (a *app) renameGroupPage(c echo.Context) error {
	g, _, err := a.findGroup(c)
	if err != nil {
		return err
	}
	return a.renderRename(c, http.StatusOK, g, g.Name, "")
}

func (a *app) renderRename(c echo.Context, status int, g square.CustomerGroup, typed, problem string) error {
	v := views.GroupRenameView{Name: g.Name, Action: groupPath(g.ID) + "/rename", CSRFToken: csrfToken(c),
		Field: views.Field{Name: groupNameField, ID: "group-name", Label: "New name", Value: typed, Error: problem, Required: true}}
	if problem != "" {
		v.Errors = []views.FieldError{{FieldID: "group-name", Message: problem}}
	}
	return render(c, status, views.GroupRenamePage(a.layout(c, "Rename "+g.Name, views.NavGroups), v))
}

func (a *app) renameGroup(c echo.Context) error {
	g, groups, err := a.findGroup(c)
	if err != nil {
		return err
	}
	typed := postedForm(c).Get(groupNameField)
	name := strings.TrimSpace(typed)
	if problem := checkGroupName(name, groups, g.ID); problem != "" {
		return a.renderRename(c, http.StatusUnprocessableEntity, g, typed, problem)
	}
	_, err = a.groupAPI(c).RenameGroup(c.Request().Context(), g.ID, name)
	a.groupsChanged(c)
	if err != nil {
		if square.IsAuth(err) {
			return err
		}
		return a.renderRename(c, squareFailure(err).Status, g, typed, "Square did not rename the group just now. Press Save name again in a moment.")
	}
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Group renamed to “" + name + "”."})
	return redirect(c, "/groups")
}

func (a *app) confirmDeleteGroup(c echo.Context) error {
	g, _, err := a.findGroup(c)
	if err != nil {
		return err
	}
	return a.renderDeleteGroup(c, http.StatusOK, g, "")
}

func (a *app) renderDeleteGroup(c echo.Context, status int, g square.CustomerGroup, failure string) error {
	members := "An unknown number of customers are"
	if n, ok := a.groupMembers(c, g.ID, a.indexState(c).ready); ok {
		members = customersWord(n) + " are"
		if n == 1 {
			members = "1 customer is"
		}
	}
	v := views.GroupDeleteView{Name: g.Name, Members: members, Action: groupPath(g.ID) + "/delete", CSRFToken: csrfToken(c), Failure: failure}
	return render(c, status, views.GroupDeletePage(a.layout(c, "Delete "+g.Name, views.NavGroups), v))
}

func (a *app) deleteGroup(c echo.Context) error {
	g, _, err := a.findGroup(c)
	if errors.Is(err, errGroupNotFound) {
		sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "The group is no longer in your account."})
		return redirect(c, "/groups")
	}
	if err != nil {
		return err
	}
	err = a.groupAPI(c).DeleteGroup(c.Request().Context(), g.ID)
	a.groupsChanged(c)
	switch {
	case err == nil, square.IsNotFound(err):
	case square.IsAuth(err):
		return err
	default:
		return a.renderDeleteGroup(c, squareFailure(err).Status, g, "Square did not delete the group just now. Press Delete group again in a moment.")
	}
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Group “" + g.Name + "” deleted. Its customers are still in your directory."})
	return redirect(c, "/groups")
}

// groupAPI is the signed-in merchant's group calls.
func (a *app) groupAPI(c echo.Context) groupService {
	return a.client(c).Groups
}
