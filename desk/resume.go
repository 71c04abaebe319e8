package desk

// Resume is what a desk needs to show session id again, as it was before
// a serve restart or a dropped connection: how to follow it, and its row
// (state, history, values).
func (d *Desk) Resume(id string) (*Follow, Row, error) {
	f, err := d.Follow(id)
	if err != nil {
		return nil, Row{}, err
	}
	s, err := d.get(id)
	if err != nil {
		return nil, Row{}, err
	}
	return f, d.rowOf(s), nil
}
