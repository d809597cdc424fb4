/** The query issue #2 names as the walking skeleton's contract: field names here must keep working. */
export const CONTRACT_QUERY = `{
  indices { symbol spot lotSize strikeStep expiries }
  overview(index: NIFTY) { index timestamp spot atmStrike atmIv pcrOi pcrVolume maxPainStrike totalCallOi totalPutOi }
  optionChain(index: NIFTY, expiry: null, strikesAroundAtm: 5) {
    expiry timeToExpiryYears
    strikes { strike call { lastPrice oi volume iv delta gamma thetaPerDay vegaPerVolPoint } put { lastPrice oi volume iv delta } }
  }
}`;
