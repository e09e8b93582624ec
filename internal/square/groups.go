package square

import (
	"context"
	"errors"
	"net/http"
)

// CreateGroup adds a customer group named name. Square is silent on
// duplicate names (and accepts them), so callers that want unique names
// check first. A non-empty idempotencyKey makes a repeat answer the first
// group, and lets the client retry the call on a transient failure.
func (s *CustomersService) CreateGroup(ctx context.Context, idempotencyKey, name string) (*CustomerGroup, error) {
	body := struct {
		IdempotencyKey string        `json:"idempotency_key,omitempty"`
		Group          CustomerGroup `json:"group"`
	}{idempotencyKey, CustomerGroup{Name: name}}
	req, err := s.client.newRequest(ctx, http.MethodPost, "v2/customers/groups", body)
	if err != nil {
		return nil, err
	}
	req.retrySafe = idempotencyKey != ""
	return s.group(req)
}

// GetGroup returns the customer group with the given id.
func (s *CustomersService) GetGroup(ctx context.Context, id string) (*CustomerGroup, error) {
	path, err := idPath("v2/customers/groups/", id)
	if err != nil {
		return nil, err
	}
	req, err := s.client.newRequest(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	return s.group(req)
}

// RenameGroup changes a group's name, the only field a seller can change.
// Groups carry no version: the last rename wins.
func (s *CustomersService) RenameGroup(ctx context.Context, id, name string) (*CustomerGroup, error) {
	path, err := idPath("v2/customers/groups/", id)
	if err != nil {
		return nil, err
	}
	body := struct {
		Group CustomerGroup `json:"group"`
	}{CustomerGroup{Name: name}}
	req, err := s.client.newRequest(ctx, http.MethodPut, path, body)
	if err != nil {
		return nil, err
	}
	// Setting the same name twice changes nothing more than once.
	req.retrySafe = true
	return s.group(req)
}

// DeleteGroup deletes a group; its customers stay, outside it. It is not
// retried: a second DELETE after a lost answer would report NOT_FOUND.
func (s *CustomersService) DeleteGroup(ctx context.Context, id string) error {
	path, err := idPath("v2/customers/groups/", id)
	if err != nil {
		return err
	}
	req, err := s.client.newRequest(ctx, http.MethodDelete, path, nil)
	if err != nil {
		return err
	}
	return s.client.do(req, nil)
}

// AddToGroup puts a customer in a group. Adding it again changes nothing,
// so the call is retried on transient failures (and after Retry-After).
func (s *CustomersService) AddToGroup(ctx context.Context, customerID, groupID string) error {
	return s.membership(ctx, http.MethodPut, customerID, groupID)
}

// RemoveFromGroup takes a customer out of a group; like AddToGroup it is
// safe to repeat.
func (s *CustomersService) RemoveFromGroup(ctx context.Context, customerID, groupID string) error {
	return s.membership(ctx, http.MethodDelete, customerID, groupID)
}

func (s *CustomersService) membership(ctx context.Context, method, customerID, groupID string) error {
	path, err := idPath("v2/customers/", customerID)
	if err != nil {
		return err
	}
	path, err = idPath(path+"/groups/", groupID)
	if err != nil {
		return err
	}
	req, err := s.client.newRequest(ctx, method, path, nil)
	if err != nil {
		return err
	}
	req.retrySafe = true
	return s.client.do(req, nil)
}

// group sends req and returns the {"group": ...} of its response.
func (s *CustomersService) group(req *request) (*CustomerGroup, error) {
	var out struct {
		Group *CustomerGroup `json:"group"`
	}
	if err := s.client.do(req, &out); err != nil {
		return nil, err
	}
	if out.Group == nil {
		return nil, errors.New("square: " + req.Method + " " + req.URL.Path + ": response has no group")
	}
	return out.Group, nil
}
