package handlers

import (
	"net/http"
	"net/url"

	"github.com/labstack/echo/v4"

	"github.com/tessera-dashboard/tessera/internal/square"
	"github.com/tessera-dashboard/tessera/views"
)

// pageSize is the number of customers on one page of the directory.
const pageSize = 50

// errBadCursor is a directory link whose page Square no longer knows.
var errBadCursor = &pageError{
	Status: http.StatusBadRequest, Title: "This page of customers is no longer available",
	Message: "The link points to a page of results that has expired. Start again from the first page.",
	BackURL: "/customers", BackLabel: "First page of customers",
}

// customers is the directory: one page of customers with the total.
func (a *app) customers(c echo.Context) error {
	params := &square.ListCustomersParams{Limit: pageSize, Count: true, Cursor: c.QueryParam("cursor")}
	page, err := a.client(c).Customers.List(c.Request().Context(), params)
	if err != nil {
		var se *square.Error
		if asSquare(err, &se) && se.Code == "INVALID_CURSOR" {
			return errBadCursor
		}
		return err
	}
	v := views.CustomersView{Empty: len(page.Customers) == 0, Total: customerTotal(page.Count)}
	for _, cu := range page.Customers {
		v.Rows = append(v.Rows, customerRow(cu))
	}
	if page.Cursor != "" {
		v.NextURL = "/customers?" + url.Values{"cursor": {page.Cursor}}.Encode()
	}
	if isHTMX(c) {
		return render(c, http.StatusOK, views.CustomerRows(v))
	}
	return render(c, http.StatusOK, views.CustomersPage(a.layout(c, "Customers", views.NavCustomers), v))
}
