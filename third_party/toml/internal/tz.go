package internal

import (
	"sync"
	"time"
)

// Timezones used for local datetime, date, and time TOML types.
//
// The exact way times and dates without a timezone should be interpreted is not
// well-defined in the TOML specification and left to the implementation. These
// defaults to current local timezone offset of the computer, but this can be
// changed by changing these variables before decoding.
//
// TODO:
// Ideally we'd like to offer people the ability to configure the used timezone
// by setting Decoder.Timezone and Encoder.Timezone; however, this is a bit
// tricky: the reason we use three different variables for this is to support
// round-tripping – without these specific TZ names we wouldn't know which
// format to use.
//
// There isn't a good way to encode this right now though, and passing this sort
// of information also ties in to various related issues such as string format
// encoding, encoding of comments, etc.
//
// So, for the time being, just put this in internal until we can write a good
// comprehensive API for doing all of this.
//
// The reason they're exported is because they're referred from in e.g.
// internal/tag.
//
// Note that this behaviour is valid according to the TOML spec as the exact
// behaviour is left up to implementations.
//
// kycdesk: the zones are made at first use (reading the local offset loads the
// system's time zone, which every process linking the package paid for in its
// initialization); each function returns the same *time.Location every time,
// as the variables were, since callers compare them.
var localZones = sync.OnceValues(func() (datetime, date *time.Location) {
	_, o := time.Now().Zone()
	return time.FixedZone("datetime-local", o), time.FixedZone("date-local", o)
})

var localTime = sync.OnceValue(func() *time.Location {
	_, o := time.Now().Zone()
	return time.FixedZone("time-local", o)
})

// LocalDatetime is the zone of a local date-time.
func LocalDatetime() *time.Location { d, _ := localZones(); return d }

// LocalDate is the zone of a local date.
func LocalDate() *time.Location { _, d := localZones(); return d }

// LocalTime is the zone of a local time.
func LocalTime() *time.Location { return localTime() }
