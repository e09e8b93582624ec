package squarespec

import (
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// allowance widens Square's document where Square is known to send more
// than the document says. Each one is a fact about Square, not about the
// emulator: the conformance test exists to stop the emulator drifting from
// Square, so nothing goes here to make a failure go away.
type allowance struct {
	name  string
	apply func(doc *openapi3.T) error
}

var allowances = []allowance{
	{
		// Square reports a stale version on UpdateCustomer and DeleteCustomer
		// with a "version mismatch" error (its optimistic-concurrency guide),
		// and returns the code VERSION_MISMATCH for the same case in the
		// Catalog API, yet the ErrorCode enum of the 2025-08-20 document has
		// no such value. The emulator answers 400 VERSION_MISMATCH on the
		// field version, and the client accepts that and 409 CONFLICT alike.
		name:  "ErrorCode VERSION_MISMATCH",
		apply: addEnum("ErrorCode", "VERSION_MISMATCH"),
	},
	{
		// Square's own example of customer.deleted has "deleted": true in
		// its data, which CustomerDeletedEventData does not list.
		name:  "CustomerDeletedEventData deleted",
		apply: addProperty("CustomerDeletedEventData", "deleted", openapi3.NewBoolSchema()),
	},
}

// addProperty adds a property to a named component schema.
func addProperty(schema, name string, s *openapi3.Schema) func(doc *openapi3.T) error {
	return func(doc *openapi3.T) error {
		ref := doc.Components.Schemas[schema]
		if ref == nil || ref.Value == nil {
			return fmt.Errorf("no schema %s", schema)
		}
		if _, ok := ref.Value.Properties[name]; ok {
			return fmt.Errorf("%s already has %s: drop the allowance", schema, name)
		}
		ref.Value.Properties[name] = openapi3.NewSchemaRef("", s)
		return nil
	}
}

// addEnum adds a value to the enum of a named component schema.
func addEnum(schema, value string) func(doc *openapi3.T) error {
	return func(doc *openapi3.T) error {
		ref := doc.Components.Schemas[schema]
		if ref == nil || ref.Value == nil {
			return fmt.Errorf("no schema %s", schema)
		}
		if slices.Contains(ref.Value.Enum, any(value)) {
			return fmt.Errorf("%s already has %s: drop the allowance", schema, value)
		}
		ref.Value.Enum = append(ref.Value.Enum, value)
		return nil
	}
}
