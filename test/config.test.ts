/** Profiles (IDX_SIM_PROFILE): one setting chooses the defaults of every limit; explicit values win. */
import { describe, expect, it } from 'vitest';
import { CI_QUOTA, loadConfig, settingsTable } from '../src/config.js';

const LIMITS = ['pqdRequestsPerMinute', 'fctrlRequestsPerDay', 'fctrlPatchRequestsPerDay', 'bfinfoRequestsPerDay',
  'dailyMessagesHigh', 'dailyMessagesMedium', 'dailyMessagesLow'] as const;

describe('profiles', () => {
  it('aemo is the default and carries every published limit (spec §8)', () => {
    expect(loadConfig({}, {})).toMatchObject({
      profile: 'aemo', pqdRequestsPerMinute: 50, fctrlRequestsPerDay: 288, fctrlPatchRequestsPerDay: 2, bfinfoRequestsPerDay: 1440,
      dailyMessagesHigh: 180_000, dailyMessagesMedium: 35_000, dailyMessagesLow: 18_000,
      maxPayloadBytesHigh: 1_000_000, maxPayloadBytesMedium: 5_000_000, maxPayloadBytesLow: 10_000_000, maxPayloadBytes: 10_000_000,
      rejectConcurrentRequests: false,
    });
  });

  it('ci relaxes every quota, from the environment or an override, and leaves the size caps alone', () => {
    for (const config of [loadConfig({}, { IDX_SIM_PROFILE: 'ci' }), loadConfig({ profile: 'ci' }, {})]) {
      expect(config.profile).toBe('ci');
      for (const limit of LIMITS) expect(config[limit], limit).toBe(CI_QUOTA);
      expect(config.maxPayloadBytesHigh).toBe(1_000_000);
    }
  });

  it('an explicit value of a limit wins over the profile default, and an override over the environment', () => {
    expect(loadConfig({}, { IDX_SIM_PROFILE: 'ci', IDX_SIM_PQD_REQUESTS_PER_MINUTE: '5' }).pqdRequestsPerMinute).toBe(5);
    expect(loadConfig({ profile: 'aemo' }, { IDX_SIM_PROFILE: 'ci' }).pqdRequestsPerMinute).toBe(50);
    expect(loadConfig({ profile: 'ci', dailyMessagesLow: 3 }, {}).dailyMessagesLow).toBe(3);
  });

  it('refuses an unknown profile or a malformed limit, naming the variable', () => {
    expect(() => loadConfig({}, { IDX_SIM_PROFILE: 'prod' })).toThrow(/IDX_SIM_PROFILE: expected one of aemo, ci/);
    expect(() => loadConfig({}, { IDX_SIM_FCTRL_REQUESTS_PER_DAY: '-1' })).toThrow(/IDX_SIM_FCTRL_REQUESTS_PER_DAY/);
  });

  it('the settings table shows both defaults of a profiled limit', () => {
    expect(settingsTable()).toContain('| `IDX_SIM_PQD_REQUESTS_PER_MINUTE` | `pqdRequestsPerMinute` | aemo: `50` / ci: `1000000000` |');
    expect(settingsTable()).toContain('| `IDX_SIM_MAX_PAYLOAD_BYTES_HIGH` | `maxPayloadBytesHigh` | `1000000` |');
  });
});
