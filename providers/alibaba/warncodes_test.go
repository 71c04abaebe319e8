package alibaba

import (
	"testing"

	"github.com/kycdesk/kycdesk/providers"
)

// Every warning carries its stable code, so that a desk profile can accept it.
func TestWarningsCarryCodes(t *testing.T) {
	v := providers.Values{"ProductCode": {ProductEKYC}, "MerchantBizId": {"b1"}, "MerchantUserId": {"u1"},
		"DocType": {"passport"}, "MetaInfo": {MetaInfoPCWeb}, "Authorize": {"T"}, "CallbackToken": {"tok"},
		"Model": {"PHOTINUS_LIVENESS"}, "ShowGuidePage": {"1"}, "ProcedurePriority": {"url"}, "AppQualityCheck": {"Y"}}
	refusals, warnings := providers.Problems(validate(Canonical(v), "ap-southeast-1", providers.ModeSandbox))
	if len(refusals) != 0 {
		t.Fatalf("refusals: %+v", refusals)
	}
	got := map[string]bool{}
	for _, w := range warnings {
		if w.Code == "" {
			t.Errorf("warning without a code: %+v", w)
		}
		got[w.Code] = true
	}
	for _, code := range []string{WarnReturnURLUnset, WarnAuthorizeNeedsMainlandID, WarnCallbackTokenWithoutURL,
		WarnRegionNotHongKong, WarnModelNotOnPC, WarnGuidePageNotOnPC, WarnProcedurePriorityNotOnPC, WarnAppQualityCheckNotOnWeb} {
		if !got[code] {
			t.Errorf("no %s warning in %+v", code, warnings)
		}
	}
	_, warnings = providers.Problems(validate(Canonical(providers.Values{"MetaInfo": {`{"deviceType":"ios"}`}, "Model": {"SILENT"},
		"ReturnUrl": {"https://example.com/done"}}), DefaultRegion, providers.ModeSandbox))
	if len(warnings) != 1 || warnings[0].Code != WarnSilentWebOnly {
		t.Errorf("SILENT on ios: %+v", warnings)
	}
}
