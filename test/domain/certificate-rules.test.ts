import { describe, expect, it } from 'vitest';
import { certificateUsability, checkCommonName, type CertificateRecord } from '../../src/domain/certificate-rules.js';

describe('checkCommonName (spec §6)', () => {
  it('accepts <ParticipantID>-NonProd and returns the participant id', () => {
    expect(checkCommonName('MDPONE-NonProd', 'NonProd')).toEqual({ ok: true, participantId: 'MDPONE' });
    expect(checkCommonName('NEMMCO-Prod', 'Prod')).toEqual({ ok: true, participantId: 'NEMMCO' });
  });

  it.each([
    ['a certificate without a CN', undefined, 'missing', /has no CN; AEMO expects <ParticipantID>-NonProd, e\.g\. MDPONE-NonProd/],
    ['65 characters', `A-NonProd.${'x'.repeat(55)}`, 'length', /is 65 characters long; AEMO allows at most 64/],
    ['a space and an underscore', 'MDP ONE_X-NonProd', 'characters', /contains " ", "_"; only letters, digits/],
    ['lower case', 'mdpone-nonprod', 'form', /not of the form <ParticipantID>-NonProd.*\(participant ids are upper-case and the suffix is spelt NonProd: MDPONE-NonProd\)/],
    ['an 11-character participant id', 'ABCDEFGHIJK-NonProd', 'form', /not of the form <ParticipantID>-NonProd, e\.g\. MDPONE-NonProd, nor an FQDN such as idx\.example\.com\.au \(spec §6\)$/],
    ['a dotted name that is not an FQDN', 'idx.-example.com', 'form', /not of the form <ParticipantID>-NonProd, e\.g\. MDPONE-NonProd, nor an FQDN/],
    ['an IP address', '10.0.0.1', 'form', /nor an FQDN/],
    ['the other environment', 'MDPONE-Prod', 'environment', /is a Prod certificate; this environment accepts <ParticipantID>-NonProd/],
  ])('refuses %s with its own rule and message', (_label, cn, rule, message) => {
    const check = checkCommonName(cn, 'NonProd');
    expect(check).toMatchObject({ ok: false, rule });
    expect(!check.ok && check.message).toMatch(message);
  });

  it('a 64-character CN passes the length rule (and is then judged by its form)', () => {
    expect(checkCommonName(`A-NonProd.${'x'.repeat(54)}`, 'NonProd')).toEqual({ ok: true, participantId: null });
    expect(checkCommonName(`A-NonProd_${'x'.repeat(54)}`, 'NonProd')).toMatchObject({ ok: false, rule: 'characters' });
  });

  it('accepts an FQDN CN (spec §6 "optional FQDN"), which names no participant', () => {
    expect(checkCommonName('idx.borealis.example', 'NonProd')).toEqual({ ok: true, participantId: null });
    expect(checkCommonName('IDX-gw1.Energy-Co.com.au', 'Prod')).toEqual({ ok: true, participantId: null });
  });
});

describe('certificateUsability', () => {
  const T = Date.parse('2026-07-02T09:00:00.000+10:00');
  const cert = (over: Partial<CertificateRecord> = {}): CertificateRecord => ({
    participantId: 'MDPONE', slot: 'primary', serialNumber: 'AB', fingerprint256: 'F', commonName: 'MDPONE-NonProd',
    validFrom: T - 1000, validTo: T + 1000, registeredAt: T, revokedAt: null, replacedAt: null, ...over,
  });

  it('accepts a current, unrevoked certificate within its validity in an accepted slot', () => {
    expect(certificateUsability(cert(), 'primary', 'active', T, 'S')).toBeUndefined();
    expect(certificateUsability(cert({ slot: 'secondary' }), 'primary', 'both', T, 'S')).toBeUndefined();
  });

  it('reports replaced, then revoked, then validity, then the slot rule', () => {
    const everything = cert({ replacedAt: T, revokedAt: T, validTo: T - 1, slot: 'secondary' });
    expect(certificateUsability(everything, 'primary', 'active', T, 'S')?.reason).toBe('replaced');
    expect(certificateUsability({ ...everything, replacedAt: null }, 'primary', 'active', T, 'S')?.reason).toBe('revoked');
    expect(certificateUsability({ ...everything, replacedAt: null, revokedAt: null }, 'primary', 'active', T, 'S')?.reason).toBe('expired');
    expect(certificateUsability(cert({ validFrom: T + 1 }), 'primary', 'active', T, 'S')?.reason).toBe('not-yet-valid');
    expect(certificateUsability(cert({ slot: 'secondary' }), 'primary', 'active', T, 'IDX_SIM_X')?.message)
      .toMatch(/MDPONE's active certificate is its primary, and IDX_SIM_X=active accepts only the active slot \(to switch: idx-sim certs rotate --participant MDPONE --to secondary\)/);
  });
});
