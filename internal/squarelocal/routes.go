package squarelocal

// routes is the emulator's one route table: Square's paths, the browser
// pages Square serves (consent, Web Payments SDK), and the emulator's own
// admin endpoints under a prefix Square does not use.
func (s *Server) routes() {
	// Customers API (docs/square.md#customers).
	s.api("GET /v2/customers", ScopeCustomersRead, s.listCustomers)
	s.api("POST /v2/customers", ScopeCustomersWrite, s.createCustomer)
	s.api("POST /v2/customers/search", ScopeCustomersRead, s.searchCustomers)
	s.api("POST /v2/customers/bulk-create", ScopeCustomersWrite, s.bulkCreateCustomers)
	s.api("POST /v2/customers/bulk-update", ScopeCustomersWrite, s.bulkUpdateCustomers)
	s.api("POST /v2/customers/bulk-retrieve", ScopeCustomersRead, s.bulkRetrieveCustomers)
	s.api("POST /v2/customers/bulk-delete", ScopeCustomersWrite, s.bulkDeleteCustomers)
	s.api("GET /v2/customers/{customer_id}", ScopeCustomersRead, s.retrieveCustomer)
	s.api("PUT /v2/customers/{customer_id}", ScopeCustomersWrite, s.updateCustomer)
	s.api("DELETE /v2/customers/{customer_id}", ScopeCustomersWrite, s.deleteCustomer)
	s.api("GET /v2/customers/groups", ScopeCustomersRead, s.listCustomerGroups)
	s.api("POST /v2/customers/groups", ScopeCustomersWrite, s.createCustomerGroup)
	s.api("GET /v2/customers/groups/{group_id}", ScopeCustomersRead, s.retrieveCustomerGroup)
	s.api("PUT /v2/customers/groups/{group_id}", ScopeCustomersWrite, s.updateCustomerGroup)
	s.api("DELETE /v2/customers/groups/{group_id}", ScopeCustomersWrite, s.deleteCustomerGroup)
	s.api("PUT /v2/customers/{customer_id}/groups/{group_id}", ScopeCustomersWrite, s.addGroupToCustomer)
	s.api("DELETE /v2/customers/{customer_id}/groups/{group_id}", ScopeCustomersWrite, s.removeGroupFromCustomer)
	// Deprecated customer cards, still served (docs/square.md#customer-card-endpoints).
	s.api("POST /v2/customers/{customer_id}/cards", ScopeCustomersWrite, s.createCustomerCard)
	s.api("DELETE /v2/customers/{customer_id}/cards/{card_id}", ScopeCustomersWrite, s.deleteCustomerCard)

	// Cards API (docs/square.md#cards-api, with its scopes).
	s.api("GET /v2/cards", ScopePaymentsRead, s.listCards)
	s.api("POST /v2/cards", ScopePaymentsWrite, s.createCard)
	s.api("GET /v2/cards/{card_id}", ScopePaymentsRead, s.retrieveCard)
	s.api("POST /v2/cards/{card_id}/disable", ScopePaymentsWrite, s.disableCard)

	// Merchants and locations (docs/square.md#merchants-and-locations).
	s.api("GET /v2/merchants", ScopeMerchantProfileRead, s.listMerchants)
	s.api("GET /v2/merchants/{merchant_id}", ScopeMerchantProfileRead, s.retrieveMerchant)
	s.api("GET /v2/locations", ScopeMerchantProfileRead, s.listLocations)
	s.api("GET /v2/locations/{location_id}", ScopeMerchantProfileRead, s.retrieveLocation)

	// OAuth (docs/square.md#oauth): the consent page is for browsers, the rest is JSON.
	s.mux.HandleFunc("GET /oauth2/authorize", s.authorizePage)
	s.mux.HandleFunc("POST /oauth2/authorize", s.authorizeDecision)
	s.public("POST /oauth2/token", s.obtainToken)
	s.public("POST /oauth2/revoke", s.revokeToken)
	s.public("POST /oauth2/token/status", s.tokenStatus)

	// Stand-in for the Web Payments SDK (docs/square.md#web-payments-sdk).
	s.mux.HandleFunc("GET /v1/square.js", s.squareJS)

	// The emulator's own controls, for programs on this machine only.
	s.control("GET "+adminPrefix+"calls", s.adminCalls)
	s.control("DELETE "+adminPrefix+"calls", s.adminResetCalls)
	s.control("GET "+adminPrefix+"faults", s.adminFaults)
	s.control("POST "+adminPrefix+"faults", s.adminInjectFault)
	s.control("DELETE "+adminPrefix+"faults", s.adminClearFaults)
	s.control("POST "+adminPrefix+"clock", s.adminAdvanceClock)
	// Webhook deliveries: what was sent, and faults on the way.
	s.control("GET "+adminPrefix+"deliveries", s.adminDeliveries)
	s.control("DELETE "+adminPrefix+"deliveries", s.adminResetDeliveries)
	s.control("GET "+adminPrefix+"delivery-faults", s.adminDeliveryFaults)
	s.control("POST "+adminPrefix+"delivery-faults", s.adminInjectDeliveryFault)
	s.control("DELETE "+adminPrefix+"delivery-faults", s.adminClearDeliveryFaults)
	// Changes made elsewhere, as by the seller in Square's dashboard.
	s.control("POST "+adminPrefix+"merchants/{merchant_id}/customers", s.adminCreateCustomer)
	s.control("POST "+adminPrefix+"customers/{customer_id}", s.adminChangeCustomer)
	s.control("DELETE "+adminPrefix+"customers/{customer_id}", s.adminDeleteCustomer)
	s.control("POST "+adminPrefix+"merchants/{merchant_id}/revoke", s.adminRevokeByMerchant)
}
