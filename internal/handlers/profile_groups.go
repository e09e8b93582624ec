package handlers

import (
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/session"
	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// A profile's groups: POST /customers/:id/groups adds the customer to the
// groups ticked and to a new group named on the spot; POST
// /customers/:id/groups/:gid/remove takes it out of one.

// profileGroupsView maps the customer's groups for the profile; info may
// be nil when Square did not list the groups.
func profileGroupsView(id string, cu *square.Customer, info *merchantInfo, csrf string) views.ProfileGroups {
	v := views.ProfileGroups{AddAction: customerPath(id) + "/groups", CSRFToken: csrf,
		New: views.Field{Name: groupNameField, ID: "new-group-name", Label: "Or a new group named", Hint: "Leave empty to add to the groups ticked only."}}
	if info == nil {
		v.Unavailable = true
		return v
	}
	for _, g := range info.Groups {
		if slices.Contains(cu.GroupIDs, g.ID) {
			v.In = append(v.In, views.ProfileGroup{ID: g.ID, Name: g.Name, RemoveAction: customerPath(id) + "/groups/" + g.ID + "/remove"})
		} else {
			v.Choices = append(v.Choices, views.Option{Value: g.ID, Label: g.Name})
		}
	}
	return v
}

// addCustomerGroups adds the customer to the groups chosen, making the
// new one first when a name was typed.
func (a *app) addCustomerGroups(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	form := postedForm(c)
	typed := form.Get(groupNameField)
	name := strings.TrimSpace(typed)
	groups, err := a.freshGroups(c)
	if err != nil {
		return err
	}
	var chosen []string
	for _, gid := range form["group"] {
		if slices.ContainsFunc(groups, func(g square.CustomerGroup) bool { return g.ID == gid }) && !slices.Contains(chosen, gid) {
			chosen = append(chosen, gid)
		}
	}
	problem := ""
	switch {
	case name != "":
		problem = checkGroupName(name, groups, "")
	case len(chosen) == 0:
		problem = "Tick a group, or type the name of a new one."
	}
	if problem != "" {
		return a.showProfile(c, http.StatusUnprocessableEntity, problem, typed)
	}
	ctx := c.Request().Context()
	api := a.groupAPI(c)
	if name != "" {
		g, err := api.CreateGroup(ctx, newIdempotencyKey(), name)
		a.groupsChanged(c)
		if err != nil {
			if square.IsAuth(err) {
				return err
			}
			return a.showProfile(c, squareFailure(err).Status, "Square did not create the group just now. Press Add to group again in a moment.", typed)
		}
		chosen = append(chosen, g.ID)
	}
	for _, gid := range chosen {
		if err := api.AddToGroup(ctx, id, gid); err != nil {
			if square.IsAuth(err) {
				return err
			}
			if square.IsNotFound(err) {
				return a.customerReadError(c, id, err)
			}
			return a.showProfile(c, squareFailure(err).Status, "Square did not add the customer to every group just now. Try again in a moment.", "")
		}
	}
	a.refreshIndexed(c, id)
	msg := "Added to the group."
	if len(chosen) > 1 {
		msg = "Added to the groups."
	}
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: msg})
	return redirect(c, customerPath(id)+"#groups")
}

// removeCustomerGroup takes the customer out of one group.
func (a *app) removeCustomerGroup(c echo.Context) error {
	id, err := customerID(c)
	if err != nil {
		return err
	}
	gid, err := groupID(c)
	if err != nil {
		return err
	}
	err = a.groupAPI(c).RemoveFromGroup(c.Request().Context(), id, gid)
	switch {
	case err == nil:
	case square.IsAuth(err):
		return err
	case square.IsNotFound(err):
		// The group or the customer is gone: either way the customer is
		// not in it; the profile says which.
		a.groupsChanged(c)
	default:
		return a.showProfile(c, squareFailure(err).Status, "Square did not remove the customer from the group just now. Try again in a moment.", "")
	}
	a.refreshIndexed(c, id)
	sessionOf(c).AddFlash(session.Flash{Kind: views.FlashSuccess, Message: "Removed from the group."})
	return redirect(c, customerPath(id)+"#groups")
}

// refreshIndexed puts the customer as Square now holds it into the index,
// so the directory's group filter shows a membership change at once
// (AddGroupToCustomer answers {}, without the customer).
func (a *app) refreshIndexed(c echo.Context, id string) {
	if a.indexed == nil {
		return
	}
	if cu, err := a.client(c).Customers.Get(c.Request().Context(), id); err == nil {
		a.indexCustomer(c, cu)
	}
}
