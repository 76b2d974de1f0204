package demo

import (
	"math"
	"math/rand/v2"
	"strings"
)

// MaxTokens is the most tokens the simulated market holds: the built-in
// listings, then synthetic ones.
const MaxTokens = 500

// The synthetic tokens fill the universe past the built-in listings: made-up
// projects with made-up names, a market cap drawn between large and tiny,
// and their own character (volatility, trading activity). They come from a
// fixed generator of their own, not from Options.Seed, so token "VORAX" is
// the same project in every run; the seed only moves its prices.

// syntheticSeed fixes the synthetic universe.
const syntheticSeed = 0x746f6b656e746f70 // "tokentop"

// Synthetic market caps lie between these, spread so that any prefix of the
// list (Tokens = 60, 100, ...) covers large to tiny, with many more small
// caps than large ones, as in a real market: of 454, about 5 over $10B, 70
// over $1B, 150 over $100M, 270 under $50M.
const (
	synthCapMin = 2.5e6
	synthCapMax = 12e9
	synthSkew   = 2 // log cap = min + (max-min) * u^skew, u even in [0,1)
)

var (
	nameStarts = [...]string{
		"Vor", "Quel", "Nym", "Zan", "Orv", "Kel", "Tav", "Lum", "Syl", "Prax",
		"Drav", "Fen", "Ix", "Mor", "Cal", "Vex", "Jor", "Hal", "Bri", "Tes",
		"Ulm", "Ost", "Wyr", "Yar", "Gal", "Rho", "Sel", "Thal", "Emb", "Aur",
		"Cor", "Dun", "Elv", "Fal", "Gry", "Hex", "Ith", "Kyr", "Lys", "Myr",
		"Nov", "Obr", "Pel", "Qir", "Rav", "Sku", "Tor", "Umb", "Ves", "Zor",
	}
	nameMiddles = [...]string{"", "", "", "a", "e", "i", "o", "an", "el", "ir", "or", "ul"}
	nameEnds    = [...]string{
		"ax", "ion", "ara", "ex", "ora", "ium", "yx", "en", "os", "ith",
		"ane", "ux", "ova", "is", "ar", "et", "une", "ix", "oth", "al",
	}
	nameWords = [...]string{
		"", "", "", "", "", "", " Protocol", " Network", " Finance", " Swap",
		" Chain", " Labs", " DAO", " Bridge", " Oracle", " Vault", " AI", " Pay",
	}
)

// realSymbols are tickers of real tokens (as of 2026, from exchange and
// aggregator listings) that a synthetic token must never take, so nobody
// mistakes a simulated price for a real one. Built-in listings are checked
// separately.
var realSymbols = func() map[string]bool {
	const list = `
BTC ETH USDT XRP BNB SOL USDC DOGE TRX ADA HYPE LINK AVAX SUI XLM BCH HBAR LTC TON DOT UNI AAVE NEAR APT
ONDO ICP ARB RENDER BONK FIL JUP INJ TIA WIF PYTH STRK ZRO GMX MAGIC SHIB PEPE LEO DAI WBTC STETH WETH
XMR ETC OKB CRO KAS VET ATOM MNT OP POL MATIC IMX STX GRT SEI FET TAO ALGO RUNE FTM S QNT MKR SKY LDO
THETA SAND MANA AXS EGLD XTZ EOS FLOW CHZ KCS NEO IOTA KAVA MINA GALA ENS CRV SNX COMP ZEC DASH XEC BSV
CFX AR ROSE ONE ZIL ENJ BAT LRC ANKR CELO QTUM ICX ZRX WAVES KSM RVN SC DGB HOT IOST ONT NANO XEM BTT
WIN JST SUN NFT APE BLUR GMT FLOKI BOME MEW POPCAT BRETT MOG TURBO NEIRO PNUT GOAT ACT MOODENG SPX FARTCOIN
AI16Z VIRTUAL AIXBT GRASS ENA ETHFI EIGEN W ZK ZETA DYM ALT MANTA PIXEL PORTAL SAGA OMNI REZ BB NOT IO
LISTA ZKJ DOGS HMSTR CATI MAJOR BANANA SCR KAIA MOVE ME USUAL PENGU VANA BIO TRUMP MELANIA BERA IP KAITO
LAYER SHELL RED GPS PARTI NIL BABY WCT KMNO SIGN HAEDAL HUMA SOPH RESOLV SAHARA NEWT SPK TREE ERA PROVE
WLD ARKM CYBER ID HOOK MAV EDU RDNT HFT SSV RPL FXS CVX BAL YFI SUSHI 1INCH KNC BNT UMA BAND API3 TRB NMR
OCEAN AGIX RLC CTSI STORJ GLM AUDIO LPT ILV YGG ALICE TLM SLP RARE SUPER HIGH DAR VOXEL PYR GHST CHR
MASK ASTR GLMR MOVR ACA KAR PHA CELR SKL OGN REQ POWR LOOM COTI DENT FUN MTL NKN ARDR STEEM HIVE LSK ARK
SYS XVG STRAX DCR ZEN BTG KMD XNO FIO HNT IOTX AMP OXT NU KEEP T FORTH BADGER ALPHA ALPACA PERP DYDX
JOE QI SPELL ICE BIFI RAY SRM ORCA MNGO STEP FIDA SAMO COPE MEDIA TULIP PORT SBR MER SLND HXRO PRISM
JTO JUPSOL MSOL BSOL INF TNSR DRIFT KMNO CLOUD ZEUS SHDW HONEY GUAC MYRO WEN SLERF SC BOOK DADDY MICHI
MOTHER BILLY RETARDIO GIGA SIGMA CHILLGUY ZEREBRO GRIFFAIN ARC SWARMS PIPPIN ALCH BULLY FWOG LOCKIN
USDE FDUSD TUSD USDD PYUSD FRAX LUSD GUSD USDP EURC BUSD RLUSD USD1 USDS XAUT PAXG
CAKE XVS ALPINE SANTOS LAZIO PORTO ATM ASR OG JUV PSG CITY BAR ACM INTER AFC
RSR OM MX GT BGB HTX HT FTT WOO CET LQTY GNO ANT NXM KP3R POND REN BOND TRU LIT DODO FOR PUNDIX PUNDI
AEVO ACE XAI NFP AI MEME ORDI SATS RATS RUNECOIN DOG PUPS TRAC BRC ARCH MUBI BEAM PRIME ONDO CORE FLR
XDC TEL LUNA LUNC USTC ASTR AKT NOS TOKEN GAS NEON JASMY CKB BORA METIS BOBA SYN STG HOP ACX AXL ZETA
WAXP WAX HNS LPT GAL PEOPLE CVC POLY POLYX XYO BLZ OAX VIB VITE WAN ELF AERGO MDT DATA CTK SFP BEL TKO
ALPACA LINA REEF TROY PERL DOCK KEY DREP TCT MBL CHESS NULS OMG ZRC ZEC BICO ERN FLUX LOKA MC MBOX RAD
QUICK VELO AERO WELL MORPHO PENDLE ENA ETHFI ONDO SAFE COW GEAR ZRX BLAST MODE TAIKO SCROLL LINEA
APU BOBO TOSHI DEGEN HIGHER KEYCAT NORMIE MIGGLES SKI DOGINME BENJI VVV CLANKER VIRTUALS LUNAI COOKIE
KOMA CHEEMS BABYDOGE SAFEMOON ELON KISHU AKITA HOGE SAITAMA VOLT LEASH BONE TREAT
IQ XCN QKC XCH MOB ORN POLS DIA TVK UFT WING FIS AUCTION BETA FRONT ROUTE MLN PNT CREAM ALCX TORN
`
	m := map[string]bool{}
	for _, s := range strings.Fields(list) {
		m[s] = true
	}
	return m
}()

// synthetic is one synthetic token: what it lists as, and its character.
type synthetic struct {
	listing
	character
}

// syntheticListings returns n synthetic tokens (n <= MaxTokens), none
// sharing a symbol or a name with another, with a built-in listing or with
// realSymbols. The list is fixed: the first n of a longer list are the
// same tokens.
func syntheticListings(n int) []synthetic {
	if n <= 0 {
		return nil
	}
	rng := rand.New(rand.NewPCG(syntheticSeed, syntheticSeed^0x9e3779b97f4a7c15))
	taken := map[string]bool{}
	names := map[string]bool{}
	for _, l := range listings {
		taken[l.Symbol] = true
		names[strings.ToLower(l.Name)] = true
	}
	out := make([]synthetic, 0, n)
	const phi = 0.6180339887498949
	u := 0.5
	for len(out) < n {
		base := nameStarts[rng.IntN(len(nameStarts))] + nameMiddles[rng.IntN(len(nameMiddles))] + nameEnds[rng.IntN(len(nameEnds))]
		name := base + nameWords[rng.IntN(len(nameWords))]
		sym := symbolOf(base, 3+rng.IntN(3))
		if taken[sym] || realSymbols[sym] || names[strings.ToLower(name)] || names[strings.ToLower(base)] ||
			len(sym) < 3 || strings.Contains(base, "ii") || strings.Contains(base, "uu") || strings.Contains(base, "aa") {
			continue
		}
		taken[sym], names[strings.ToLower(name)], names[strings.ToLower(base)] = true, true, true

		// Stratified caps: successive golden-ratio steps fill [0,1) evenly.
		u += phi
		u -= math.Floor(u)
		logCap := math.Log10(synthCapMin) + math.Pow(u, synthSkew)*(math.Log10(synthCapMax)-math.Log10(synthCapMin))
		logCap += 0.02 * (rng.Float64() - 0.5)
		mcap := math.Pow(10, logCap)
		// Supply 10M to 1T, smaller caps leaning to larger supplies
		// (cheaper coins).
		logSupply := 7 + 5*rng.Float64()
		price := mcap / math.Pow(10, logSupply)
		price = roundSignificant(price, 4)
		out = append(out, synthetic{
			listing: listing{Symbol: sym, Name: name, Supply: mcap / price, Price: price},
			// Their own character around what the size gives: some
			// tokens are calm, some wild; some busy, some sleepy.
			character: character{vol: 0.7 + 0.8*rng.Float64(), activity: math.Exp(0.6 * rng.NormFloat64())},
		})
	}
	return out
}

// symbolOf makes a ticker of up to n letters (3..5) from a made-up name:
// its first letter, then its consonants, then its vowels, never the same
// letter twice in a row.
func symbolOf(name string, n int) string {
	up := strings.ToUpper(name)
	b := []byte{up[0]}
	for pass := 0; pass < 2 && len(b) < n; pass++ {
		for i := 1; i < len(up) && len(b) < n; i++ {
			c := up[i]
			vowel := strings.IndexByte("AEIOUY", c) >= 0
			if (pass == 0) != vowel && c != b[len(b)-1] {
				b = append(b, c)
			}
		}
	}
	return string(b)
}

// roundSignificant rounds v to d significant digits, as a listed price.
func roundSignificant(v float64, d int) float64 {
	if !(v > 0) {
		return v
	}
	p := math.Pow(10, float64(d)-math.Ceil(math.Log10(v)))
	return math.Round(v*p) / p
}
