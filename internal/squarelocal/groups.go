package squarelocal

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Customer groups (docs/square.md#groups): list, create, retrieve, update,
// delete, and adding a customer to a group or removing it. The emulator's choices where Square
// is silent:
//
//   - Groups are listed in creation order.
//   - A group name is required and at most maxGroupName characters;
//     duplicate names are allowed.
//   - Adding a customer to a group it is in, or removing it from one it is
//     not in, succeeds and changes nothing. A change of membership is a
//     committed update of the customer: version and updated_at move.
//     Deleting a group takes each of its customers out of it, alike.
//   - UpdateCustomerGroup changes the name only; id and the time stamps
//     sent in the body are ignored, as read-only fields are.

const (
	maxGroupPageSize = 50
	maxGroupName     = 255
)

// group returns the merchant's group with id, or nil.
func (md *merchantData) group(id string) *CustomerGroup {
	for _, g := range md.groups {
		if g.ID == id {
			return g
		}
	}
	return nil
}

func groupNotFound(id string) *apiError {
	return notFound("Customer group with ID `" + id + "` not found.")
}

func (s *Server) listCustomerGroups(r *request) (any, *apiError) {
	q := r.URL.Query()
	limit, e := queryLimit(q, maxGroupPageSize)
	if e != nil {
		return nil, e
	}
	md := r.Merchant
	start := 0
	if c := q.Get("cursor"); c != "" {
		after, e := md.customers.openCursor(c, cursorGroups)
		if e != nil {
			return nil, e
		}
		i := slices.IndexFunc(md.groups, func(g *CustomerGroup) bool { return g.ID == after.ID })
		if i < 0 {
			return nil, badRequest("INVALID_CURSOR", "cursor", "The cursor is not valid for this request.")
		}
		start = i + 1
	}
	end := min(start+limit, len(md.groups))
	var resp struct {
		Groups []CustomerGroup `json:"groups,omitempty"`
		Cursor string          `json:"cursor,omitempty"`
	}
	for _, g := range md.groups[start:end] {
		resp.Groups = append(resp.Groups, *g)
	}
	if end < len(md.groups) {
		resp.Cursor = md.customers.sealCursor(cursorState{Kind: cursorGroups, ID: md.groups[end-1].ID})
	}
	return resp, nil
}

func (s *Server) createCustomerGroup(r *request) (any, *apiError) {
	var in struct {
		IdempotencyKey string      `json:"idempotency_key,omitempty"`
		Group          *groupInput `json:"group,omitempty"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	create := func() (any, *apiError) {
		if e := checkGroupInput(in.Group); e != nil {
			return nil, e
		}
		now := timestamp(r.Now)
		g := &CustomerGroup{ID: s.ids.customer(), Name: in.Group.Name, CreatedAt: now, UpdatedAt: now}
		r.Merchant.groups = append(r.Merchant.groups, g)
		return map[string]any{"group": *g}, nil
	}
	if in.IdempotencyKey == "" {
		return create()
	}
	return s.idempotent(r, "CreateCustomerGroup", in.IdempotencyKey, in, create)
}

// groupInput is the group object of CreateCustomerGroup and
// UpdateCustomerGroup; its read-only fields are ignored.
type groupInput struct {
	Name string `json:"name"`
}

// checkGroupInput checks the group of a create or update body.
func checkGroupInput(g *groupInput) *apiError {
	switch {
	case g == nil:
		return badRequest("MISSING_REQUIRED_PARAMETER", "group", "Field `group` is required.")
	case g.Name == "":
		return badRequest("MISSING_REQUIRED_PARAMETER", "group.name", "Field `group.name` is required.")
	case utf8.RuneCountInString(g.Name) > maxGroupName:
		return badRequest("VALUE_TOO_LONG", "group.name", fmt.Sprintf("Field `group.name` must be at most %d characters long.", maxGroupName))
	}
	return nil
}

// updateCustomerGroup renames a group. Groups carry no version, so the
// last write wins, as in Square's Dashboard.
func (s *Server) updateCustomerGroup(r *request) (any, *apiError) {
	id := r.PathValue("group_id")
	g := r.Merchant.group(id)
	if g == nil {
		return nil, groupNotFound(id)
	}
	var in struct {
		Group *groupInput `json:"group"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	if e := checkGroupInput(in.Group); e != nil {
		return nil, e
	}
	// Answers are copies encoded after the lock is released, so the stored
	// group is replaced, never changed in place.
	updated := *g
	updated.Name = in.Group.Name
	updated.UpdatedAt = timestamp(r.Now)
	i := slices.Index(r.Merchant.groups, g)
	r.Merchant.groups[i] = &updated
	return map[string]any{"group": updated}, nil
}

// deleteCustomerGroup deletes a group and takes its customers out of it;
// like any change of membership, that is a committed update of each.
func (s *Server) deleteCustomerGroup(r *request) (any, *apiError) {
	id := r.PathValue("group_id")
	md := r.Merchant
	if md.group(id) == nil {
		return nil, groupNotFound(id)
	}
	md.groups = slices.DeleteFunc(slices.Clone(md.groups), func(g *CustomerGroup) bool { return g.ID == id })
	for _, rec := range md.customers.withGroup(id) {
		s.setMembership(r, rec, id, false)
	}
	return struct{}{}, nil
}

func (s *Server) retrieveCustomerGroup(r *request) (any, *apiError) {
	id := r.PathValue("group_id")
	g := r.Merchant.group(id)
	if g == nil {
		return nil, groupNotFound(id)
	}
	return map[string]any{"group": *g}, nil
}

func (s *Server) addGroupToCustomer(r *request) (any, *apiError) {
	return s.changeMembership(r, true)
}

func (s *Server) removeGroupFromCustomer(r *request) (any, *apiError) {
	return s.changeMembership(r, false)
}

// changeMembership adds the customer of the path to its group, or removes
// it from it.
func (s *Server) changeMembership(r *request, add bool) (any, *apiError) {
	cid, gid := r.PathValue("customer_id"), r.PathValue("group_id")
	rec := r.Merchant.customers.get(cid)
	if rec == nil {
		return nil, customerNotFound(cid)
	}
	if r.Merchant.group(gid) == nil {
		return nil, groupNotFound(gid)
	}
	s.setMembership(r, rec, gid, add)
	return struct{}{}, nil
}

// setMembership puts a customer in a group or takes it out; a change is a
// committed update (new version, updated_at and customer.updated), no
// change is none.
func (s *Server) setMembership(r *request, rec *customerRec, gid string, add bool) {
	if slices.Contains(rec.c.GroupIDs, gid) == add {
		return
	}
	c := *rec.c
	if add {
		c.GroupIDs = append(slices.Clip(c.GroupIDs), gid)
	} else {
		c.GroupIDs = slices.DeleteFunc(slices.Clone(c.GroupIDs), func(id string) bool { return id == gid })
		if len(c.GroupIDs) == 0 {
			c.GroupIDs = nil
		}
	}
	s.commitChange(r.Merchant, rec, &c, r.Now)
}
