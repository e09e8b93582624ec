package squarelocal

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// Customer groups (square-api.md §2.1): list, create, retrieve, and adding
// a customer to a group or removing it. The emulator's choices where Square
// is silent:
//
//   - Groups are listed in creation order.
//   - A group name is required and at most maxGroupName characters;
//     duplicate names are allowed.
//   - Adding a customer to a group it is in, or removing it from one it is
//     not in, succeeds and changes nothing. A change of membership is a
//     committed update of the customer: version and updated_at move.

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
		IdempotencyKey string `json:"idempotency_key,omitempty"`
		Group          *struct {
			Name string `json:"name"`
		} `json:"group,omitempty"`
	}
	if e := r.decode(&in); e != nil {
		return nil, e
	}
	create := func() (any, *apiError) {
		switch {
		case in.Group == nil:
			return nil, badRequest("MISSING_REQUIRED_PARAMETER", "group", "Field `group` is required.")
		case in.Group.Name == "":
			return nil, badRequest("MISSING_REQUIRED_PARAMETER", "group.name", "Field `group.name` is required.")
		case utf8.RuneCountInString(in.Group.Name) > maxGroupName:
			return nil, badRequest("VALUE_TOO_LONG", "group.name", fmt.Sprintf("Field `group.name` must be at most %d characters long.", maxGroupName))
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
	member := slices.Contains(rec.c.GroupIDs, gid)
	if member == add {
		return struct{}{}, nil
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
	c.Version++
	c.UpdatedAt = timestamp(r.Now)
	r.Merchant.replaceCustomer(rec, &c)
	return struct{}{}, nil
}
