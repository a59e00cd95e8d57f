//! TLS to a PostgreSQL-protocol warehouse, as the audit source's `tls` says: rustls on the
//! aws-lc-rs provider (the one reqwest uses).
//!
//! - `verify-full`: the server's certificate must chain to `ca_cert` (else to the system's
//!   roots, through the platform verifier) and name `host`.
//! - `require`: encrypted, but any certificate is accepted (its handshake signature is still
//!   checked, so the session is with whoever holds that certificate's key): as libpq's
//!   `sslmode=require`. The manifest records the mode.
//! - `disable`: no TLS (loopback, or `allow_plaintext`; see `credentials::audit`).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::credentials::AuditSource;
use crate::credentials::audit::TlsMode;

use super::super::WarehouseError;

/// The TLS connector for `source`, or `None` for `tls = "disable"`.
pub(super) fn connector(source: &AuditSource) -> Result<Option<MakeRustlsConnect>, WarehouseError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| WarehouseError::Tls(e.to_string()))?;
    let config = match (source.tls, &source.ca_cert) {
        (TlsMode::Disable, _) => return Ok(None),
        (TlsMode::VerifyFull, Some(ca)) => {
            let mut roots = RootCertStore::empty();
            for cert in &ca.certs {
                roots.add(cert.clone()).map_err(|e| {
                    WarehouseError::Tls(format!("ca_cert {} is not usable: {e}", ca.path))
                })?;
            }
            builder.with_root_certificates(roots).with_no_client_auth()
        }
        (TlsMode::VerifyFull, None) => {
            use rustls_platform_verifier::BuilderVerifierExt as _;
            builder
                .with_platform_verifier()
                .map_err(|e| WarehouseError::Tls(format!("the system's roots: {e}")))?
                .with_no_client_auth()
        }
        (TlsMode::Require, _) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCertificate(provider)))
            .with_no_client_auth(),
    };
    Ok(Some(MakeRustlsConnect::new(config)))
}

/// `tls = "require"`: accepts the server's certificate whatever it is, and checks that the
/// server holds its key.
#[derive(Debug)]
struct AnyCertificate(Arc<CryptoProvider>);

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
