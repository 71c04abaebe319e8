package parser

import (
	"bytes"
	"testing"
)

// kycdesk: Table is GenerateTransitionTable() written out; they agree.
func TestTableIsGenerated(t *testing.T) {
	if !bytes.Equal(Table, GenerateTransitionTable()) {
		t.Fatal("transition_table_static.go differs from GenerateTransitionTable(): write it out again")
	}
}
