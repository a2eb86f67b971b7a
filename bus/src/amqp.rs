//! The broker address (URL, virtual host, the password kept out of every message) and the AMQP value conversions the bus shares.

use std::collections::BTreeMap;
use std::time::Duration;

use evreg_core::schema::{percent_decode, percent_encode};
use evreg_core::topology::Arg;
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{Connection, ConnectionProperties};

use crate::{BusError, Result};

/// Where the broker is: the AMQP URL, with its virtual host resolved.
#[derive(Clone)]
pub struct Broker {
    url: String,
    shown: String,
    vhost: String,
    connect_timeout: Duration,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker").field("url", &self.shown).finish()
    }
}

/// The URL with its password replaced by `***`, for logs and errors.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            if userinfo.contains(':') {
                format!("{scheme}://{user}:***@{host}{tail}")
            } else {
                format!("{scheme}://{user}@{host}{tail}")
            }
        }
        None => url.to_owned(),
    }
}

impl Broker {
    /// `url` is `amqp://user:password@host:port/vhost`; without a path the
    /// virtual host is `vhost` (from `evreg.toml`), else `/`.
    pub fn new(url: &str, vhost: Option<&str>) -> Result<Broker> {
        let shown = redact(url);
        let rest = if let Some(r) = url.strip_prefix("amqp://") {
            r
        } else if url.starts_with("amqps://") {
            return Err(BusError::Config(format!(
                "{shown}: amqps:// is not supported: evreg-bus is built without a TLS stack; use amqp:// through a TLS-terminating proxy or on a trusted network"
            )));
        } else {
            return Err(BusError::Config(format!(
                "{shown}: expected an amqp:// URL (amqp://user:password@host:5672/vhost)"
            )));
        };
        let path_start = rest.find(['/', '?']);
        let (url, vhost) = match path_start.map(|i| (i, &rest[i..])) {
            Some((_, p)) if p.starts_with('/') => {
                let path = p[1..].split('?').next().unwrap_or_default();
                (url.to_owned(), percent_decode(path))
            }
            _ => {
                let v = vhost.unwrap_or("/");
                let (authority, query) = rest.split_at(path_start.unwrap_or(rest.len()));
                (
                    format!("amqp://{authority}/{}{query}", percent_encode(v, b"")),
                    v.to_owned(),
                )
            }
        };
        Ok(Broker {
            shown: redact(&url),
            url,
            vhost,
            connect_timeout: Duration::from_secs(5),
        })
    }

    /// The virtual host the bus works in.
    pub fn vhost(&self) -> &str {
        &self.vhost
    }

    /// The URL without its password.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// How long one connection attempt may take.
    pub fn with_connect_timeout(mut self, d: Duration) -> Broker {
        self.connect_timeout = d;
        self
    }

    /// An error about this broker, its password hidden.
    pub(crate) fn error(&self, what: &str, e: impl std::fmt::Display) -> BusError {
        // lapin's errors do not carry the URL, but be sure.
        let message = format!("{what}: {e}").replace(&self.url, &self.shown);
        BusError::Broker {
            url: self.shown.clone(),
            message,
        }
    }

    /// Opens a connection, or fails within the connect timeout.
    pub async fn connect(&self, name: &str) -> Result<Connection> {
        let props = ConnectionProperties::default().with_connection_name(name.into());
        match tokio::time::timeout(self.connect_timeout, Connection::connect(&self.url, props))
            .await
        {
            Ok(Ok(c)) => Ok(c),
            Ok(Err(e)) => Err(self.error("cannot connect", e)),
            Err(_) => Err(self.error(
                "cannot connect",
                format!("no answer within {} ms", self.connect_timeout.as_millis()),
            )),
        }
    }
}

/// An argument as AMQP declares it.
pub(crate) fn field_table(args: &BTreeMap<String, Arg>) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in args {
        let v = match v {
            Arg::Str(s) => AMQPValue::LongString(LongString::from(s.as_str())),
            Arg::Int(i) => AMQPValue::LongLongInt(*i),
        };
        t.insert(ShortString::from(k.as_str()), v);
    }
    t
}

/// A header of a delivery as text.
pub(crate) fn header_str(headers: Option<&FieldTable>, name: &str) -> Option<String> {
    match headers?.inner().get(name)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// A header of a delivery as a number.
pub(crate) fn header_int(headers: Option<&FieldTable>, name: &str) -> Option<i64> {
    match headers?.inner().get(name)? {
        AMQPValue::LongLongInt(i) => Some(*i),
        AMQPValue::LongInt(i) => Some(i64::from(*i)),
        AMQPValue::LongUInt(i) => Some(i64::from(*i)),
        AMQPValue::ShortInt(i) => Some(i64::from(*i)),
        AMQPValue::ShortUInt(i) => Some(i64::from(*i)),
        AMQPValue::ShortShortInt(i) => Some(i64::from(*i)),
        AMQPValue::ShortShortUInt(i) => Some(i64::from(*i)),
        AMQPValue::LongString(s) => String::from_utf8_lossy(s.as_bytes()).parse().ok(),
        _ => None,
    }
}

pub(crate) fn put_str(t: &mut FieldTable, name: &str, value: &str) {
    t.insert(
        ShortString::from(name),
        AMQPValue::LongString(LongString::from(value)),
    );
}

pub(crate) fn put_int(t: &mut FieldTable, name: &str, value: i64) {
    t.insert(ShortString::from(name), AMQPValue::LongLongInt(value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_and_vhosts_resolve() {
        assert_eq!(
            redact("amqp://guest:s3cret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        let b = Broker::new("amqp://u:p@h:5672", Some("evreg-test")).expect("url");
        assert_eq!(b.vhost(), "evreg-test");
        assert_eq!(b.shown(), "amqp://u:***@h:5672/evreg-test");
        let b = Broker::new("amqp://u:p@h:5672/%2f", Some("ignored")).expect("url");
        assert_eq!(b.vhost(), "/");
        let e = Broker::new("amqps://u:p@h/", None).expect_err("no tls");
        assert!(e.to_string().contains("without a TLS stack"), "{e}");
        assert!(!e.to_string().contains(":p@"), "{e}");
    }
}
