/**
 * Spellings of client addresses a forged or sloppy header may carry, shared by the unit tests of the
 * normaliser and the per-IP limit tests on Node and workerd. Each list is one bucket.
 */

/** 192.0.2.5, twenty ways: IPv4-mapped IPv6 (dotted and hex), leading zeros, ports, brackets. */
export const IPV4_SPELLINGS = [
  '192.0.2.5',
  '192.000.002.005',
  '192.0.02.05',
  '192.0.2.005',
  '192.0.2.5:80',
  '192.0.2.5:65535',
  '192.000.002.005:8080',
  '::ffff:192.0.2.5',
  '::FFFF:192.0.2.5',
  '::ffff:c000:205',
  '::ffff:C000:0205',
  '0:0:0:0:0:ffff:c000:205',
  '0000:0000:0000:0000:0000:ffff:192.0.2.5',
  '[::ffff:192.0.2.5]',
  '[::ffff:192.0.2.5]:443',
  '[::ffff:c000:205]:8080',
  '::ffff:192.000.002.005',
  ' 192.0.2.5 ',
  '0::ffff:192.0.2.5',
  '::0:ffff:c000:0205',
] as const;

/** 2001:db8::1, twenty ways: case, leading zeros, where `::` stands, a dotted tail, ports, a zone. */
export const IPV6_SPELLINGS = [
  '2001:db8::1',
  '2001:DB8::1',
  '2001:0db8::1',
  '2001:0db8:0000:0000:0000:0000:0000:0001',
  '2001:db8:0:0:0:0:0:1',
  '2001:db8::0:1',
  '2001:db8::0:0:1',
  '2001:db8:0::1',
  '2001:0DB8::0001',
  '[2001:db8::1]',
  '[2001:db8::1]:80',
  '[2001:db8::1]:8443',
  '2001:db8::1%eth0',
  '[2001:db8::1%eth0]:80',
  '2001:db8::0.0.0.1',
  '2001:db8::0:0.0.0.1',
  '2001:db8:0:0::1',
  '2001:db8:0000::0001',
  '2001:db8::00:1',
  '2001:Db8::1',
] as const;

/** Twenty hosts of 2001:db8:1:2::/64, as one machine could give itself. */
export const ONE_SLASH_64 = Array.from({ length: 20 }, (_, i) => `2001:db8:1:2:${(i * 3001).toString(16)}:${i}::${i + 1}`);

/** Header values that are no address at all. */
export const NOT_ADDRESSES = [
  'unknown',
  'not-an-ip',
  '_hidden',
  '999.1.1.1',
  '1.2.3',
  '1.2.3.4.5',
  '0x7f.0.0.1',
  '0177.0.0.1',
  '3221225989',
  '1.2.3.4:',
  '1.2.3.4:99999',
  '::g',
  '1::2::3',
  '1:2:3:4:5:6:7:8:9',
  ':::1',
  '[1.2.3.4]',
  '[::1',
  '2001:db8::1]',
  'localhost',
  '1.2.3.4 5',
] as const;
