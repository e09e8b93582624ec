package squarelocal

// TEMPORARY scaffold so the package compiles while the cards and OAuth
// part is written; the cards/OAuth helper deletes this file.

import "net/http"

func (s *Server) createCustomerCard(r *request) (any, *apiError) { return notImplemented2(r) }
func (s *Server) deleteCustomerCard(r *request) (any, *apiError) { return notImplemented2(r) }
func (s *Server) listCards(r *request) (any, *apiError)          { return notImplemented2(r) }
func (s *Server) createCard(r *request) (any, *apiError)         { return notImplemented2(r) }
func (s *Server) retrieveCard(r *request) (any, *apiError)       { return notImplemented2(r) }
func (s *Server) disableCard(r *request) (any, *apiError)        { return notImplemented2(r) }
func (s *Server) obtainToken(r *request) (any, *apiError)        { return notImplemented2(r) }
func (s *Server) revokeToken(r *request) (any, *apiError)        { return notImplemented2(r) }
func (s *Server) tokenStatus(r *request) (any, *apiError)        { return notImplemented2(r) }

func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request)     {}
func (s *Server) authorizeDecision(w http.ResponseWriter, r *http.Request) {}
func (s *Server) squareJS(w http.ResponseWriter, r *http.Request)          {}

func notImplemented2(*request) (any, *apiError) {
	return nil, newError(http.StatusNotImplemented, catAPI, "NOT_IMPLEMENTED", "", "")
}
