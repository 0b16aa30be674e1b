package indicator

import (
	"errors"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	cases := []struct {
		t    Type
		in   string
		want string // "" means the value must be rejected
	}{
		{IPv4, " 1.2.3.4 ", "1.2.3.4"},
		{IPv4, "1[.]2[.]3[.]4", "1.2.3.4"},
		{IPv4, "::ffff:10.0.0.1", "10.0.0.1"},
		{IPv4, "01.2.3.4", ""}, // octal or decimal? refuse to guess
		{IPv4, "1.2.3.256", ""},
		{IPv4, "2001:db8::1", ""},
		{IPv6, "2001:DB8:0:0::1", "2001:db8::1"},
		{IPv6, "fe80::1%eth0", ""},
		{CIDR, "10.1.2.3/8", "10.0.0.0/8"},
		{CIDR, "221.216.0.0/13", "221.216.0.0/13"},
		{CIDR, "2001:db8::1/32", "2001:db8::/32"},
		{CIDR, "1.2.3.4", "1.2.3.4/32"},
		{CIDR, "1.2.3.0/33", ""},
		{Domain, "WWW.Example.COM.", "www.example.com"},
		{Domain, "evil[.]example(.)com", "evil.example.com"},
		{Domain, "bücher.example", "xn--bcher-kva.example"},
		{Domain, "ＥＸＡＭＰＬＥ。com", "example.com"},
		{Domain, "xn--bcher-kva.example", "xn--bcher-kva.example"},
		{Domain, "xn--zz.example", ""}, // not valid punycode
		{Domain, "r3---sn-abc.googlevideo.com", "r3---sn-abc.googlevideo.com"},
		{Domain, "_dmarc.example.com", "_dmarc.example.com"},
		{Domain, "-bad.example.com", ""},
		{Domain, "a..b", ""},
		{Domain, "localhost", ""},
		{Domain, "1.2.3.4", ""},
		{Domain, "evil.com/x", ""},
		{Domain, strings.Repeat("a", 64) + ".com", ""},
		{URL, "hxxp://Evil.Example.COM.:80/a%7eb/%2f?q=%41%3d#frag", "http://evil.example.com/a~b/%2F?q=A%3D"},
		{URL, "HTTPS://evil.com:443", "https://evil.com/"},
		{URL, "https://evil.com:8443/", "https://evil.com:8443/"},
		{URL, "evil.com/gate.php", "http://evil.com/gate.php"},
		{URL, "hxxps[://]evil[.]com/a b", "https://evil.com/a%20b"},
		{URL, "http://[2001:DB8::1]:80/", "http://[2001:db8::1]/"},
		{URL, "http://user@1.2.3.4:8080/x?", "http://user@1.2.3.4:8080/x"},
		{URL, "fxp://files.example.org/pub", "ftp://files.example.org/pub"},
		{URL, "http://bücher.example/ä", "http://xn--bcher-kva.example/%C3%A4"},
		{URL, "http://evil.com:99999/", ""},
		{URL, "http:///path", ""},
		{URL, "1http://x.com/", ""},
		{Email, "Haveip2015@Gmail.COM", "haveip2015@gmail.com"},
		{Email, "someone[at]evil[.]com", "someone@evil.com"},
		{Email, "mailto:a@b.example", "a@b.example"},
		{Email, "<a@b.example>", "a@b.example"},
		{Email, "@b.example", ""},
		{Email, "a b@b.example", ""},
		{Email, "a@localhost", ""},
		{Phone, "+86.13800000000", "+8613800000000"},
		{Phone, "0086 138-0000-0000", "+8613800000000"},
		{Phone, "+1 (555) 010-0199", "+15550100199"},
		{Phone, "tel:+442079460000", "+442079460000"},
		{Phone, "+1 555 CALL NOW", ""},
		{Phone, "123", ""},
		{MD5, "D41D8CD98F00B204E9800998ECF8427E", "d41d8cd98f00b204e9800998ecf8427e"},
		{MD5, "d41d8cd98f00b204e9800998ecf8427", ""},
		{MD5, "g41d8cd98f00b204e9800998ecf8427e", ""},
		{SHA1, "512509787E4DA7AAF71B89D25698A9E9D43501FD", "512509787e4da7aaf71b89d25698a9e9d43501fd"},
		{SHA256, strings.Repeat("AB", 32), strings.Repeat("ab", 32)},
		{SHA512, strings.Repeat("0f", 64), strings.Repeat("0f", 64)},
		{CertSHA1, "51:25:09:78:7E:4D:A7:AA:F7:1B:89:D2:56:98:A9:E9:D4:35:01:FD", "512509787e4da7aaf71b89d25698a9e9d43501fd"},
		{CertSHA256, strings.Repeat("AB:", 31) + "AB", strings.Repeat("ab", 32)},
		{CertSHA1, "51:25", ""},
		{CertSerial, "00:1a:2b", "1A2B"},
		{CertSerial, "1A2B", "1A2B"},
		{CertSerial, "0453F5E1437937", "453F5E1437937"},
		{CertSerial, "0x00FF", "FF"},
		{CertSerial, "00 00", "0"},
		{CertSerial, "serial", ""},
		{JA3, "E7D705A3286E19EA42F587B344EE6865", "e7d705a3286e19ea42f587b344ee6865"},
		// An unhashed JA3 string is reduced to its MD5, which is what sensors log.
		{JA3, "771,4865-4866,0-23,29-23,0", "40a8d16d28297af652a24c22c97c89a8" /* python hashlib.md5 */},
		{JA3S, "AE4EDC6FAF64D08308082AD26BE60767", "ae4edc6faf64d08308082ad26be60767"},
		{JA3S, "771,49199,65281-0-11-35-16", "47decf033ac4c8fc9b952ff41e549679" /* python hashlib.md5 */},
		{JA3S, "771,4865-4866,0-23,29-23,0", ""}, // a JA3 string is not a JA3S
		{JA4, "T13D1516H2_8DAAF6152771_B186095E22B6", "t13d1516h2_8daaf6152771_b186095e22b6"},
		{JA4, "q13i0310h3_55b375c5d22e_cd85d2d88918", "q13i0310h3_55b375c5d22e_cd85d2d88918"},
		{JA4, "x13d1516h2_8daaf6152771_b186095e22b6", ""},
		{JA4, "t13d1516h2_8daaf6152771", ""},
		{Cookie, "_phishing-framework_session", "_phishing-framework_session"},
		{Cookie, "a=b", ""},
		{Cookie, "has space", ""},
		{UserAgent, "  Mozilla/4.0 (compatible; MSIE 6.0)  ", "Mozilla/4.0 (compatible; MSIE 6.0)"},
		{UserAgent, "bad\x00agent", ""},
		{ASN, "AS4808", "AS4808"},
		{ASN, "as 4808", "AS4808"},
		{ASN, "ASN4808", "AS4808"},
		{ASN, "4808", "AS4808"},
		{ASN, "AS1.10", "AS65546"},
		{ASN, "AS4294967296", ""},
		{ASN, "AS-1", ""},
		{FileName, "putty.exe", "putty.exe"},
		{FileName, `C:\Windows\evil.exe`, ""},
		{FileName, "a\nb", ""},
		{Unknown, "x", ""},
	}
	for _, c := range cases {
		got, err := Normalize(c.t, c.in)
		if c.want == "" {
			if err == nil {
				t.Errorf("Normalize(%s, %q) = %q, want an error", c.t, c.in, got)
			} else {
				var ve *ValueError
				if !errors.As(err, &ve) {
					t.Errorf("Normalize(%s, %q): error %v is not a *ValueError", c.t, c.in, err)
				}
			}
			continue
		}
		if err != nil {
			t.Errorf("Normalize(%s, %q): %v", c.t, c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("Normalize(%s, %q) = %q, want %q", c.t, c.in, got, c.want)
		}
		// The canonical form is a fixed point.
		if again, err := Normalize(c.t, got); err != nil || again != got {
			t.Errorf("Normalize(%s, %q) = %q, %v; not idempotent", c.t, got, again, err)
		}
	}
}

func TestSerialPaddingVariantsAgree(t *testing.T) {
	// The same serial as openssl, Windows and a report print it.
	variants := []string{"00:9a:2b:3c", "9A2B3C", "9a 2b 3c", "009A2B3C", "0x9a2b3c"}
	want, err := Normalize(CertSerial, variants[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants[1:] {
		if got, err := Normalize(CertSerial, v); err != nil || got != want {
			t.Errorf("Normalize(CertSerial, %q) = %q, %v; want %q like %q", v, got, err, want, variants[0])
		}
	}
}

func TestRefang(t *testing.T) {
	cases := []struct{ in, want string }{
		{"hxxp://evil[.]com", "http://evil.com"},
		{"HXXPS://evil(.)com/a", "https://evil.com/a"},
		{"hxxps[://]evil{.}com", "https://evil.com"},
		{"fxp://files[dot]example[DOT]org", "ftp://files.example.org"},
		{"user[at]example(.)com", "user@example.com"},
		{"user(at)example.com", "user@example.com"},
		{"user[@]example.com", "user@example.com"},
		{"evil [.] com", "evil.com"},
		{"1.2.3.4[:]8080", "1.2.3.4:8080"},
		{`evil\.com`, "evil.com"},
		// Left alone: no marker, or a look-alike inside a word.
		{"http://example.com/fxprint", "http://example.com/fxprint"},
		{"example.com", "example.com"},
		{"Mozilla (compatible)", "Mozilla (compatible)"},
		{"[", "["},
	}
	for _, c := range cases {
		if got := Refang(c.in); got != c.want {
			t.Errorf("Refang(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		in    string
		wantT Type
		want  string
	}{
		{"1.2.3.4", IPv4, "1.2.3.4"},
		{"2001:db8::1", IPv6, "2001:db8::1"},
		{"10.0.0.0/8", CIDR, "10.0.0.0/8"},
		{"Evil[.]Example.com", Domain, "evil.example.com"},
		{"be.loved.tokyo", Domain, "be.loved.tokyo"},
		{"hxxp://evil.com/a", URL, "http://evil.com/a"},
		{"evil.com/gate.php", URL, "http://evil.com/gate.php"},
		{"1.2.3.4:8080/x", URL, "http://1.2.3.4:8080/x"},
		{"iisexit@gmail.com", Email, "iisexit@gmail.com"},
		{"+86 138 0000 0000", Phone, "+8613800000000"},
		{"AS4808", ASN, "AS4808"},
		{"d41d8cd98f00b204e9800998ecf8427e", MD5, "d41d8cd98f00b204e9800998ecf8427e"},
		{"512509787e4da7aaf71b89d25698a9e9d43501fd", SHA1, "512509787e4da7aaf71b89d25698a9e9d43501fd"},
		{strings.Repeat("a", 64), SHA256, strings.Repeat("a", 64)},
		{strings.Repeat("a", 128), SHA512, strings.Repeat("a", 128)},
		{strings.Repeat("AB:", 19) + "AB", CertSHA1, strings.Repeat("ab", 20)},
		{"t13d1516h2_8daaf6152771_b186095e22b6", JA4, "t13d1516h2_8daaf6152771_b186095e22b6"},
		{"putty.exe", FileName, "putty.exe"},
		{"test.json", FileName, "test.json"},
	}
	for _, c := range cases {
		gt, got, err := Detect(c.in)
		if err != nil || gt != c.wantT || got != c.want {
			t.Errorf("Detect(%q) = %s %q %v; want %s %q", c.in, gt, got, err, c.wantT, c.want)
		}
	}
	for _, in := range []string{"", "hello", "some words here", "1.2.3.999", "::::"} {
		if gt, got, err := Detect(in); err == nil {
			t.Errorf("Detect(%q) = %s %q; want an error", in, gt, got)
		}
	}
}

func TestParseTypeWord(t *testing.T) {
	// The Burning Umbrella CSVs' Type column, plus common feed spellings.
	cases := map[string]Type{
		"CERT SHA1": CertSHA1, "CODE SIGN CERT SERIAL": CertSerial, "COOKIE": Cookie, "DOMAIN": Domain,
		"EMAIL": Email, "FILE MD5": MD5, "IP": IPv4, "PHONE": Phone, "URL": URL,
		"ip-dst": IPv4, "Domain Name": Domain, "user_agent": UserAgent, "cert-sha256": CertSHA256,
		"x509-fingerprint-sha1": CertSHA1, "JA3": JA3, "ja4": JA4, "asn": ASN, "FileHash-SHA256": SHA256,
	}
	for w, want := range cases {
		if got, ok := ParseTypeWord(w); !ok || got != want {
			t.Errorf("ParseTypeWord(%q) = %s, %v; want %s", w, got, ok, want)
		}
	}
	if got, ok := ParseTypeWord("registry key"); ok {
		t.Errorf("ParseTypeWord(registry key) = %s; want not found", got)
	}
}

func TestCoerce(t *testing.T) {
	cases := []struct {
		t     Type
		in    string
		wantT Type
		want  string
	}{
		{IPv4, "2001:db8::1", IPv6, "2001:db8::1"},
		{IPv4, "10.0.0.0/8", CIDR, "10.0.0.0/8"},
		{MD5, strings.Repeat("A", 40), SHA1, strings.Repeat("a", 40)},
		{CertSHA1, strings.Repeat("ab:", 31) + "ab", CertSHA256, strings.Repeat("ab", 32)},
		{Domain, "Example.com", Domain, "example.com"},
	}
	for _, c := range cases {
		gt, got, err := Coerce(c.t, c.in)
		if err != nil || gt != c.wantT || got != c.want {
			t.Errorf("Coerce(%s, %q) = %s %q %v; want %s %q", c.t, c.in, gt, got, err, c.wantT, c.want)
		}
	}
	if _, _, err := Coerce(MD5, "not a hash"); err == nil {
		t.Error("Coerce(MD5, garbage) succeeded")
	}
}

// FuzzNormalize checks that Normalize never panics, that what it accepts
// is a fixed point, and that Detect agrees with Normalize on its own type.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "hxxp://evil[.]com:80/%7e?", "bücher.example", "00:1a:2b", "AS1.10",
		"a@b.example", "+86.1380000", "t13d1516h2_8daaf6152771_b186095e22b6", "http://[::1]:0/", "x%"} {
		f.Add(uint8(URL), s)
		f.Add(uint8(Domain), s)
	}
	f.Fuzz(func(t *testing.T, typ uint8, v string) {
		ty := Type(typ % uint8(len(typeNames)))
		n, err := Normalize(ty, v)
		if err == nil {
			again, err := Normalize(ty, n)
			if err != nil || again != n {
				t.Fatalf("Normalize(%s, %q) = %q; again gives %q, %v", ty, v, n, again, err)
			}
			if Pattern(ty, n) == "" && ty != Unknown {
				t.Fatalf("no pattern for %s %q", ty, n)
			}
		}
		if dt, dn, err := Detect(v); err == nil {
			again, err := Normalize(dt, dn)
			if err != nil || again != dn {
				t.Fatalf("Detect(%q) = %s %q; Normalize gives %q, %v", v, dt, dn, again, err)
			}
		}
	})
}
