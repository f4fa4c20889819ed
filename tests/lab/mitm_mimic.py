# SPDX-License-Identifier: MIT
"""mitm_mimic.py - mitmproxy addon (mitmdump -s): forge like Kazakhstan in 2019.

Stock mitmproxy builds the forged leaf from the origin certificate's CN, SANs
and O and then adds the client's SNI to the SANs. The Kazakh middlebox copied
the origin's subject and SAN and did not add the probed name (Raman et al.,
IMC 2020), which is what tlsmap's "subject-copied-from-control" reason is
about. This addon replaces TlsConfig.get_cert so the forged leaf carries only
what the origin's leaf carries; when there is no upstream certificate it falls
back to mitmproxy's own choice. Written against mitmproxy 8.1 (Debian 12).
"""
from mitmproxy.addons import tlsconfig

_stock_get_cert = tlsconfig.TlsConfig.get_cert


def _mimic_get_cert(self, conn_context):
	chain = conn_context.server.certificate_list
	if not chain:
		return _stock_get_cert(self, conn_context)
	leaf = chain[0]
	names = ([leaf.cn] if leaf.cn else []) + list(leaf.altnames)
	if not names:
		return _stock_get_cert(self, conn_context)
	names = list(dict.fromkeys(names))
	return self.certstore.get_cert(names[0], names, leaf.organization)


tlsconfig.TlsConfig.get_cert = _mimic_get_cert
