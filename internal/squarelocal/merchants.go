package squarelocal

import "strconv"

// Merchants and locations (docs/square.md#merchants-and-locations). A token sees only its own
// merchant and that merchant's locations.

// listMerchants answers with the token's merchant; Square names the array
// "merchant" (singular) and never has a second page for one token.
//
// Square's cursor here is an integer, so one that is not is a wrong type.
func (s *Server) listMerchants(r *request) (any, *apiError) {
	c := r.URL.Query().Get("cursor")
	if c == "" {
		return map[string]any{"merchant": []Merchant{r.Merchant.Merchant}}, nil
	}
	if _, err := strconv.ParseInt(c, 10, 64); err != nil {
		return nil, badRequest("EXPECTED_INTEGER", "cursor", "Expected an integer for `cursor`.")
	}
	if c != "0" && c != "1" {
		return nil, badRequest("INVALID_CURSOR", "cursor", "The cursor is not valid.")
	}
	return map[string]any{"merchant": []Merchant{r.Merchant.Merchant}}, nil
}

func (s *Server) retrieveMerchant(r *request) (any, *apiError) {
	id := r.PathValue("merchant_id")
	if id != "me" && id != r.Merchant.Merchant.ID {
		return nil, notFound("Merchant with ID `" + id + "` not found.")
	}
	return map[string]any{"merchant": r.Merchant.Merchant}, nil
}

func (s *Server) listLocations(r *request) (any, *apiError) {
	return map[string]any{"locations": r.Merchant.Locations}, nil
}

func (s *Server) retrieveLocation(r *request) (any, *apiError) {
	id := r.PathValue("location_id")
	if id == "main" {
		id = r.Merchant.Merchant.MainLocationID
	}
	for _, l := range r.Merchant.Locations {
		if l.ID == id {
			return map[string]any{"location": l}, nil
		}
	}
	return nil, notFound("Location with ID `" + id + "` not found.")
}
