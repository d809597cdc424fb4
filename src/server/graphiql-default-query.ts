/** What GraphiQL shows on first open: the queries the README walks through. */
export const GRAPHIQL_DEFAULT_QUERY = `# G6 — options analytics for NIFTY, BANKNIFTY, FINNIFTY, MIDCPNIFTY and SENSEX.
# Run this, then try the subscription below (it streams over WebSockets).

query Overview {
  indices { symbol spot lotSize strikeStep expiries }
  overview(index: NIFTY) {
    index timestamp spot atmStrike atmIv pcrOi pcrVolume maxPainStrike totalCallOi totalPutOi
  }
  optionChain(index: NIFTY, expiry: null, strikesAroundAtm: 5) {
    expiry timeToExpiryYears
    strikes {
      strike
      call { lastPrice oi volume iv delta gamma thetaPerDay vegaPerVolPoint }
      put { lastPrice oi volume iv delta }
    }
  }
}

subscription Live {
  overviewUpdated(index: NIFTY) { timestamp seq spot atmIv pcrOi maxPainStrike }
}
`;
