module github.com/kycdesk/kycdesk

go 1.26.8

require (
	github.com/biter777/countries v1.7.5
	github.com/charmbracelet/x/ansi v0.11.6
)

require (
	github.com/clipperhouse/displaywidth v0.9.0 // indirect
	github.com/clipperhouse/stringish v0.1.1 // indirect
	github.com/clipperhouse/uax29/v2 v2.5.0 // indirect
	github.com/lucasb-eyer/go-colorful v1.3.0 // indirect
	github.com/mattn/go-runewidth v0.0.19 // indirect
)
