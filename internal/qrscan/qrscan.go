// Package qrscan reads back the QR code a screen shows, with gozxing, an
// independent decoder. Only tests, the end-to-end tools and tools/qrscan
// use it, so the console binary does not link the decoder.
package qrscan

import (
	"errors"
	"image"
	"image/color"

	"github.com/makiuchi-d/gozxing"
	gozxingqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/kycdesk/kycdesk/ui/qr"
)

// Decode reads the text of a half-block code as drawn on a screen (see
// qr.Extract and qr.Parse) with an independent QR decoder, so a test checks what
// a phone would read, not what the encoder was asked for.
func Decode(screen string) (string, error) {
	m := qr.Parse(qr.Extract(screen))
	if len(m) == 0 {
		return "", errors.New("no QR code found on the screen")
	}
	const scale, margin = 4, 8
	w := 0
	for _, r := range m {
		w = max(w, len(r))
	}
	img := image.NewGray(image.Rect(0, 0, w*scale+2*margin, len(m)*scale+2*margin))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	for y, row := range m {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetGray(margin+x*scale+dx, margin+y*scale+dy, color.Gray{Y: 0})
				}
			}
		}
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	res, err := gozxingqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}
