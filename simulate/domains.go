package simulate

// provider is an operator of public services: the address block its
// domains resolve to in the simulation, the AS that announces it in
// geo.mmdb, and the CA that issued its certificates.
type provider struct {
	name    string
	asn     uint32
	asOrg   string
	country string
	issuer  string // Zeek-style issuer DN of its TLS certificates
	block   uint8  // index of its /21 inside 198.18.0.0/15 (see providerPrefix)
}

// The providers. Their addresses are carved from 198.18.0.0/15 (RFC 2544
// benchmarking space), so nothing in a generated scenario routes to a real
// service, while geo.mmdb still tells the real-world ASN story.
var providers = []provider{
	{"Microsoft", 8075, "MICROSOFT-CORP-MSN-AS-BLOCK", "US", "CN=Microsoft Azure RSA TLS Issuing CA 03,O=Microsoft Corporation,C=US", 0},
	{"Google", 15169, "GOOGLE", "US", "CN=WR2,O=Google Trust Services,C=US", 1},
	{"Akamai", 20940, "Akamai International B.V.", "NL", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 2},
	{"Cloudflare", 13335, "CLOUDFLARENET", "US", "CN=WE1,O=Google Trust Services,C=US", 3},
	{"Fastly", 54113, "FASTLY", "US", "CN=GlobalSign Atlas R3 DV TLS CA 2024 Q4,O=GlobalSign nv-sa,C=BE", 4},
	{"Amazon", 16509, "AMAZON-02", "US", "CN=Amazon RSA 2048 M03,O=Amazon,C=US", 5},
	{"Valve", 32590, "VALVE-CORPORATION", "US", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 6},
	{"GitHub", 36459, "GITHUB", "US", "CN=Sectigo ECC Domain Validation Secure Server CA,O=Sectigo Limited,L=Salford,ST=Greater Manchester,C=GB", 7},
	{"Meta", 32934, "FACEBOOK", "US", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 8},
	{"Apple", 714, "APPLE-ENGINEERING", "US", "CN=Apple Public Server RSA CA 12 - G1,O=Apple Inc.,ST=California,C=US", 9},
	{"Salesforce", 14340, "SALESFORCE", "US", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 10},
	{"Atlassian", 133530, "ATLASSIAN PTY LTD", "AU", "CN=Amazon RSA 2048 M02,O=Amazon,C=US", 11},
	{"Zoom", 30103, "ZOOM-VIDEO-COMM-AS", "US", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 12},
	{"Slack", 16509, "AMAZON-02", "US", "CN=Amazon RSA 2048 M01,O=Amazon,C=US", 13},
	{"Epic", 16509, "AMAZON-02", "US", "CN=Amazon RSA 2048 M02,O=Amazon,C=US", 14},
	{"Riot", 6507, "RIOT-GAMES", "US", "CN=DigiCert Global G2 TLS RSA SHA256 2020 CA1,O=DigiCert Inc,C=US", 15},
	{"Unity", 15169, "GOOGLE", "US", "CN=WR2,O=Google Trust Services,C=US", 16},
	{"LetsEncryptHosted", 24940, "Hetzner Online GmbH", "DE", "CN=R3,O=Let's Encrypt,C=US", 17},
}

// popularDomain is a background destination: its name, its provider (an
// index into providers) and whether it is reached over plain HTTP rather
// than TLS.
type popularDomain struct {
	name     string
	provider uint8
	http     bool
}

// popularDomains is ordered by popularity: the Zipf draw picks index 0 the
// most. The names are real, widely used services an enterprise network
// talks to all day; their addresses are not (see providers).
var popularDomains = buildPopular()

func buildPopular() []popularDomain {
	groups := []struct {
		provider uint8
		http     bool
		names    []string
	}{
		{0, false, []string{"login.microsoftonline.com", "outlook.office365.com", "www.office.com", "graph.microsoft.com", "teams.microsoft.com",
			"substrate.office.com", "login.live.com", "aadcdn.msauth.net", "res.cdn.office.net", "officeclient.microsoft.com",
			"nexus.officeapps.live.com", "self.events.data.microsoft.com", "settings-win.data.microsoft.com", "v10.events.data.microsoft.com",
			"www.bing.com", "edge.microsoft.com", "config.edge.skype.com", "clientconfig.passport.net", "login.windows.net",
			"outlook.office.com", "attachments.office.net", "statics.teams.cdn.office.net", "teams.events.data.microsoft.com",
			"onedrive.live.com", "api.onedrive.com", "lpgstudio-my.sharepoint.com", "lpgstudio.sharepoint.com", "portal.azure.com",
			"management.azure.com", "dev.azure.com", "vstsagentpackage.azureedge.net", "aka.ms", "go.microsoft.com",
			"www.microsoft.com", "learn.microsoft.com", "update.code.visualstudio.com", "marketplace.visualstudio.com",
			"az764295.vo.msecnd.net", "wns.windows.com", "client.wns.windows.com", "fe2.update.microsoft.com", "sls.update.microsoft.com",
			"displaycatalog.mp.microsoft.com", "storeedgefd.dsx.mp.microsoft.com", "arc.msn.com", "www.msn.com", "assets.msn.com",
			"xboxlive.com", "user.auth.xboxlive.com", "title.mgt.xboxlive.com", "api.nuget.org", "smartscreen.microsoft.com",
			"wd.prod.hot.microsoft.com", "nav.smartscreen.microsoft.com", "checkappexec.microsoft.com"}},
		{0, true, []string{"ctldl.windowsupdate.com", "www.msftconnecttest.com", "download.windowsupdate.com", "crl.microsoft.com", "ocsp.msocsp.com"}},
		{1, false, []string{"www.google.com", "accounts.google.com", "mail.google.com", "www.gstatic.com", "fonts.googleapis.com",
			"fonts.gstatic.com", "apis.google.com", "play.google.com", "drive.google.com", "docs.google.com", "clients2.google.com",
			"clients4.google.com", "update.googleapis.com", "safebrowsing.googleapis.com", "content-autofill.googleapis.com",
			"optimizationguide-pa.googleapis.com", "www.youtube.com", "i.ytimg.com", "yt3.ggpht.com", "rr1---sn-4g5e6nzz.googlevideo.com",
			"www.googleapis.com", "oauth2.googleapis.com", "lh3.googleusercontent.com", "ssl.gstatic.com", "meet.google.com",
			"calendar.google.com", "chat.google.com", "play.googleapis.com", "firebaseinstallations.googleapis.com", "storage.googleapis.com",
			"www.googletagmanager.com", "www.google-analytics.com", "stats.g.doubleclick.net", "googleads.g.doubleclick.net",
			"pagead2.googlesyndication.com", "android.clients.google.com", "dl.google.com", "console.cloud.google.com", "translate.googleapis.com"}},
		{1, true, []string{"connectivitycheck.gstatic.com", "ocsp.pki.goog", "crl.pki.goog"}},
		{2, false, []string{"www.adobe.com", "ims-na1.adobelogin.com", "cc-api-data.adobe.io", "use.typekit.net", "www.nvidia.com",
			"gfwsl.geforce.com", "services.gfe.nvidia.com", "www.intel.com", "www.autodesk.com", "accounts.autodesk.com", "www.linkedin.com",
			"static.licdn.com", "media.licdn.com", "www.ea.com", "accounts.ea.com", "www.playstation.com", "store.playstation.com",
			"www.ubisoft.com", "connect.ubisoft.com", "www.apple.com"}},
		{2, true, []string{"ocsp.digicert.com", "crl3.digicert.com", "crl4.digicert.com", "ocsp.sectigo.com", "ocsp.globalsign.com"}},
		{3, false, []string{"discord.com", "cdn.discordapp.com", "gateway.discord.gg", "media.discordapp.net", "www.cloudflare.com",
			"cdnjs.cloudflare.com", "challenges.cloudflare.com", "cdn.jsdelivr.net", "unpkg.com", "www.notion.so", "api.notion.com",
			"www.figma.com", "static.figma.com", "medium.com", "www.patreon.com", "itch.io", "www.gamedeveloper.com",
			"www.artstation.com", "cdna.artstation.com", "www.humblebundle.com", "www.indiedb.com", "chatgpt.com", "openai.com",
			"www.canva.com", "www.udemy.com", "stackoverflow.com", "cdn.sstatic.net", "www.reddit.com", "www.redditstatic.com", "i.redd.it"}},
		{4, false, []string{"www.twitch.tv", "static.twitchcdn.net", "gql.twitch.tv", "www.nytimes.com", "www.theguardian.com",
			"pypi.org", "files.pythonhosted.org", "www.python.org", "registry.npmjs.org", "www.npmjs.com", "www.spotify.com",
			"open.spotify.com", "api.spotify.com", "www.imdb.com", "www.wikipedia.org", "en.wikipedia.org", "upload.wikimedia.org",
			"www.vimeo.com", "player.vimeo.com", "www.paypal.com"}},
		{5, false, []string{"www.amazon.com", "images-na.ssl-images-amazon.com", "aws.amazon.com", "console.aws.amazon.com",
			"s3.amazonaws.com", "signin.aws.amazon.com", "dynamodb.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com",
			"d1.awsstatic.com", "www.perforce.com", "docs.unrealengine.com", "www.jetbrains.com", "plugins.jetbrains.com",
			"download.jetbrains.com", "account.jetbrains.com", "www.docker.com", "hub.docker.com", "registry-1.docker.io",
			"auth.docker.io", "production.cloudflare.docker.com", "www.dropbox.com", "dl.dropboxusercontent.com", "www.box.com",
			"app.box.com", "www.grammarly.com", "www.twitter.com", "x.com", "abs.twimg.com", "pbs.twimg.com", "www.netflix.com"}},
		{6, false, []string{"store.steampowered.com", "steamcommunity.com", "api.steampowered.com", "partner.steamgames.com",
			"cdn.cloudflare.steamstatic.com", "community.cloudflare.steamstatic.com", "shared.cloudflare.steamstatic.com",
			"avatars.cloudflare.steamstatic.com", "steamcdn-a.akamaihd.net", "help.steampowered.com", "login.steampowered.com",
			"partner.steam-api.com", "steamuserimages-a.akamaihd.net", "clan.cloudflare.steamstatic.com"}},
		{6, true, []string{"cache1-fra1.steamcontent.com", "cache2-fra1.steamcontent.com", "cache3-ams1.steamcontent.com",
			"clientconfig.akamai.steamstatic.com", "media.steampowered.com"}},
		{7, false, []string{"github.com", "api.github.com", "avatars.githubusercontent.com", "raw.githubusercontent.com",
			"objects.githubusercontent.com", "codeload.github.com", "github.githubassets.com", "collector.github.com",
			"alive.github.com", "copilot-proxy.githubusercontent.com", "api.githubcopilot.com", "uploads.github.com",
			"pkg-containers.githubusercontent.com", "ghcr.io", "gist.github.com"}},
		{8, false, []string{"www.facebook.com", "static.xx.fbcdn.net", "scontent.xx.fbcdn.net", "graph.facebook.com",
			"www.instagram.com", "static.cdninstagram.com", "web.whatsapp.com", "www.oculus.com", "graph.oculus.com", "developer.oculus.com"}},
		{9, false, []string{"www.icloud.com", "gateway.icloud.com", "api.apple-cloudkit.com", "itunes.apple.com", "gsa.apple.com",
			"developer.apple.com", "appstoreconnect.apple.com", "mesu.apple.com", "gs.apple.com", "init.itunes.apple.com"}},
		{10, false, []string{"lpgstudio.my.salesforce.com", "login.salesforce.com", "www.salesforce.com", "lpgstudio.lightning.force.com",
			"static.lightning.force.com", "www.tableau.com"}},
		{11, false, []string{"lpgstudio.atlassian.net", "api.atlassian.com", "id.atlassian.com", "bitbucket.org", "api.bitbucket.org",
			"trello.com", "www.atlassian.com", "jira-frontend-bifrost.prod-east.frontend.public.atl-paas.net", "api.media.atlassian.com"}},
		{12, false, []string{"zoom.us", "us02web.zoom.us", "us05web.zoom.us", "zoomgov.com", "st1.zoom.us", "log-gateway.zoom.us"}},
		{13, false, []string{"slack.com", "app.slack.com", "lpgstudio.slack.com", "wss-primary.slack.com", "a.slack-edge.com",
			"edgeapi.slack.com", "files.slack.com", "slack-imgs.com"}},
		{14, false, []string{"www.epicgames.com", "store.epicgames.com", "launcher-public-service-prod06.ol.epicgames.com",
			"account-public-service-prod03.ol.epicgames.com", "datarouter.ol.epicgames.com", "dev.epicgames.com",
			"www.unrealengine.com", "cdn1.unrealengine.com", "epicgames-download1.akamaized.net", "download.epicgames.com",
			"tracking.epicgames.com", "catalog-public-service-prod06.ol.epicgames.com"}},
		{14, true, []string{"download2.epicgames.com", "fastly-download.epicgames.com"}},
		{15, false, []string{"www.riotgames.com", "auth.riotgames.com", "clientconfig.rpg.riotgames.com", "lol.secure.dyn.riotcdn.net",
			"valorant.secure.dyn.riotcdn.net", "playvalorant.com"}},
		{16, false, []string{"unity.com", "api.unity.com", "login.unity.com", "cdp.cloud.unity3d.com", "config.uca.cloud.unity3d.com",
			"public-cdn.cloud.unity3d.com", "download.unity3d.com", "packages.unity.com", "assetstore.unity.com", "perf-events.cloud.unity3d.com"}},
		{17, false, []string{"www.blender.org", "download.blender.org", "www.gimp.org", "forum.unity.com", "www.moddb.com",
			"www.godotengine.org", "docs.godotengine.org", "www.speedrun.com", "www.nexusmods.com", "www.gog.com"}},
	}
	var out []popularDomain
	// Interleave the groups so that every provider appears near the top
	// of the popularity order, as on a real network where Microsoft,
	// Google, CDNs and the game platforms all rank high.
	for i := 0; ; i++ {
		added := false
		for _, g := range groups {
			if i < len(g.names) {
				out = append(out, popularDomain{g.names[i], g.provider, g.http})
				added = true
			}
		}
		if !added {
			return out
		}
	}
}
