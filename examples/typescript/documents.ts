/**
 * The operations the quickstart sends. Their result and variable types are inferred from schema.graphql;
 * test/integration/examples.test.ts also validates each against the schema (an unknown field is typed
 * `unknown` by gql.tada rather than rejected by tsc: reporting it is the editor plugin's job).
 */
import { graphql } from './graphql.ts';

export const CHAIN_QUERY = graphql(`
  query NiftyChain($strikes: Int!) {
    optionChain(index: NIFTY, expiry: null, strikesAroundAtm: $strikes) {
      index
      expiry
      timestamp
      spot
      atmStrike
      strikes {
        strike
        call { lastPrice iv delta }
        put { lastPrice iv delta }
      }
    }
  }
`);

export const OVERVIEW_UPDATED = graphql(`
  subscription NiftyOverview {
    overviewUpdated(index: NIFTY) {
      seq
      timestamp
      spot
      atmIv
      pcrOi
      maxPainStrike
    }
  }
`);
