module github.com/charmbracelet/x/ansi

go 1.24.2

require (
	github.com/bits-and-blooms/bitset v1.24.4
	github.com/clipperhouse/displaywidth v0.9.0
	github.com/clipperhouse/uax29/v2 v2.5.0
	github.com/lucasb-eyer/go-colorful v1.3.0
	github.com/mattn/go-runewidth v0.0.19
)

require github.com/clipperhouse/stringish v0.1.1 // indirect
