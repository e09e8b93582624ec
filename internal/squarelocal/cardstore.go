package squarelocal

// Card storage shared by the Cards API, the deprecated customer-card
// endpoints, Customer.cards on old Square-Versions, and customer deletion.
// Callers hold s.mu.

// addCard stores a new card.
func (md *merchantData) addCard(c *Card) {
	md.cards = append(md.cards, c)
	md.cardByID[c.ID] = c
}

// card returns the merchant's card with id, or nil.
func (md *merchantData) card(id string) *Card {
	return md.cardByID[id]
}

// cardsOf returns copies of a customer's cards in creation order.
func (md *merchantData) cardsOf(customerID string, includeDisabled bool) []Card {
	var out []Card
	for _, c := range md.cards {
		if c.CustomerID == customerID && (includeDisabled || c.Enabled) {
			out = append(out, *c)
		}
	}
	return out
}

// unlinkCards detaches a deleted customer's cards: they are disabled and
// no longer belong to any customer, as Square does on DeleteCustomer.
func (md *merchantData) unlinkCards(customerID, now string) {
	for _, c := range md.cards {
		if c.CustomerID != customerID {
			continue
		}
		if c.Enabled {
			c.Enabled = false
			c.DisabledAt = now
			c.Version++
		}
		c.CustomerID = ""
	}
}
