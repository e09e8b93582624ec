package squarelocal

// TEMPORARY scaffold so the package compiles while the customers part is
// written; the customers helper deletes this file.

import (
	mrand "math/rand/v2"
	"net/http"
)

type customerStore struct{ byID map[string]*Customer }

func newCustomerStore() *customerStore { return &customerStore{byID: map[string]*Customer{}} }

func (s *Server) seedCustomers(md *merchantData, n int, rng *mrand.Rand) {}

func notImplemented(*request) (any, *apiError) {
	return nil, newError(http.StatusNotImplemented, catAPI, "NOT_IMPLEMENTED", "", "")
}

func (s *Server) listCustomers(r *request) (any, *apiError)           { return notImplemented(r) }
func (s *Server) createCustomer(r *request) (any, *apiError)          { return notImplemented(r) }
func (s *Server) searchCustomers(r *request) (any, *apiError)         { return notImplemented(r) }
func (s *Server) bulkRetrieveCustomers(r *request) (any, *apiError)   { return notImplemented(r) }
func (s *Server) bulkDeleteCustomers(r *request) (any, *apiError)     { return notImplemented(r) }
func (s *Server) retrieveCustomer(r *request) (any, *apiError)        { return notImplemented(r) }
func (s *Server) updateCustomer(r *request) (any, *apiError)          { return notImplemented(r) }
func (s *Server) deleteCustomer(r *request) (any, *apiError)          { return notImplemented(r) }
func (s *Server) listCustomerGroups(r *request) (any, *apiError)      { return notImplemented(r) }
func (s *Server) createCustomerGroup(r *request) (any, *apiError)     { return notImplemented(r) }
func (s *Server) retrieveCustomerGroup(r *request) (any, *apiError)   { return notImplemented(r) }
func (s *Server) addGroupToCustomer(r *request) (any, *apiError)      { return notImplemented(r) }
func (s *Server) removeGroupFromCustomer(r *request) (any, *apiError) { return notImplemented(r) }
