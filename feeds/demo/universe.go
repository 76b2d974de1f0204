package demo

// listing is one token of the built-in universe: what a data vendor would
// list for it at the start of the demo. Prices are plausible late-2026
// levels, not a forecast.
type listing struct {
	Symbol string
	Name   string
	Supply float64 // circulating supply
	Price  float64 // USD at the demo's start
}

// character gives a token its own behaviour around what its size implies:
// volatility and trading activity multipliers (0 means 1). The built-in
// listings have none.
type character struct{ vol, activity float64 }

// listings is the built-in demo universe, largest market cap first. The last
// entries marked "fictional" are made-up small caps: no real project is
// implied by their names or numbers.
var listings = [...]listing{
	// Large caps, over $10B.
	{"BTC", "Bitcoin", 19.96e6, 112_400},
	{"ETH", "Ethereum", 120.7e6, 4_310},
	{"XRP", "XRP", 60.4e9, 2.61},
	{"BNB", "BNB", 139.2e6, 985},
	{"SOL", "Solana", 546e6, 212},
	{"DOGE", "Dogecoin", 151.3e9, 0.241},
	{"TRX", "TRON", 94.8e9, 0.334},
	{"ADA", "Cardano", 36.6e9, 0.78},
	{"HYPE", "Hyperliquid", 336e6, 46.2},
	{"LINK", "Chainlink", 698e6, 21.9},
	{"AVAX", "Avalanche", 426e6, 28.4},
	{"SUI", "Sui", 3.62e9, 3.38},
	{"XLM", "Stellar", 32.1e9, 0.376},
	{"BCH", "Bitcoin Cash", 19.95e6, 541},
	// Mid caps, $1B to $10B.
	{"HBAR", "Hedera", 42.6e9, 0.209},
	{"LTC", "Litecoin", 76.4e6, 104.8},
	{"TON", "Toncoin", 2.58e9, 2.92},
	{"DOT", "Polkadot", 1.62e9, 3.87},
	{"UNI", "Uniswap", 631e6, 8.47},
	{"AAVE", "Aave", 15.3e6, 281},
	{"NEAR", "NEAR Protocol", 1.28e9, 2.63},
	{"APT", "Aptos", 702e6, 4.58},
	{"ONDO", "Ondo", 3.16e9, 0.852},
	{"ICP", "Internet Computer", 539e6, 4.81},
	{"ARB", "Arbitrum", 5.42e9, 0.418},
	{"RENDER", "Render", 518e6, 3.61},
	{"BONK", "Bonk", 78.1e12, 0.0000208},
	{"FIL", "Filecoin", 702e6, 2.31},
	{"JUP", "Jupiter", 3.18e9, 0.449},
	{"INJ", "Injective", 97.4e6, 12.6},
	{"TIA", "Celestia", 806e6, 1.49},
	// Small caps, $50M to $1B.
	{"WIF", "dogwifhat", 999e6, 0.752},
	{"PYTH", "Pyth Network", 5.75e9, 0.131},
	{"STRK", "Starknet", 4.21e9, 0.129},
	{"ZRO", "LayerZero", 191e6, 1.88},
	{"GMX", "GMX", 10.2e6, 13.9},
	{"KAIJU", "Kaiju Inu", 420e12, 3.1e-7}, // fictional
	// Micro caps, under $50M.
	{"MAGIC", "Treasure", 331e6, 0.139},
	{"FERN", "Fernswap", 180e6, 0.21},     // fictional
	{"GLOW", "Glowworm", 420e6, 0.085},    // fictional
	{"NUMA", "Numa Oracle", 60e6, 0.52},   // fictional
	{"QRKL", "Quarkle", 900e6, 0.031},     // fictional
	{"BLIP", "Blip Protocol", 75e6, 0.29}, // fictional
	{"MOTH", "Mothlight", 1.2e9, 0.014},   // fictional
	{"TIDE", "Tidepool", 250e6, 0.048},    // fictional
	{"PIXL", "Pixelmint", 5e9, 0.0017},    // fictional
}
