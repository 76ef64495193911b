//! Two small proxies for the connection tests, on std threads: an HTTP CONNECT proxy and a SOCKS5
//! proxy (RFC 1928, no authentication). Each records the targets it was asked for and connects
//! every one of them to `upstream` (the simulator), so a kubeconfig can name its server by a host
//! name that only the proxy "resolves".

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A handshake: the target asked for, bytes already read past the request, the client stream.
type Handshake = fn(TcpStream) -> Option<(String, Vec<u8>, TcpStream)>;

pub struct Proxy {
    pub addr: SocketAddr,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// The `host:port` targets asked for so far.
    pub fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }

    /// An HTTP proxy that answers CONNECT only.
    pub fn connect(upstream: SocketAddr) -> Proxy {
        Proxy::spawn(upstream, |mut client| {
            let mut reader = BufReader::new(client.try_clone().ok()?);
            let mut line = String::new();
            reader.read_line(&mut line).ok()?;
            let mut words = line.split_whitespace();
            if words.next() != Some("CONNECT") {
                let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                return None;
            }
            let target = words.next()?.to_string();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).ok()? == 0 || h == "\r\n" || h == "\n" {
                    break;
                }
            }
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .ok()?;
            Some((target, reader.buffer().to_vec(), client))
        })
    }

    /// A SOCKS5 proxy (no authentication, CONNECT, any address type).
    pub fn socks5(upstream: SocketAddr) -> Proxy {
        Proxy::spawn(upstream, |mut c| {
            let mut head = [0u8; 2];
            c.read_exact(&mut head).ok()?;
            let mut methods = vec![0u8; head[1] as usize];
            c.read_exact(&mut methods).ok()?;
            c.write_all(&[5, 0]).ok()?;
            let mut req = [0u8; 4];
            c.read_exact(&mut req).ok()?;
            let host = match req[3] {
                1 => {
                    let mut ip = [0u8; 4];
                    c.read_exact(&mut ip).ok()?;
                    std::net::Ipv4Addr::from(ip).to_string()
                }
                3 => {
                    let mut len = [0u8; 1];
                    c.read_exact(&mut len).ok()?;
                    let mut name = vec![0u8; len[0] as usize];
                    c.read_exact(&mut name).ok()?;
                    String::from_utf8(name).ok()?
                }
                4 => {
                    let mut ip = [0u8; 16];
                    c.read_exact(&mut ip).ok()?;
                    format!("[{}]", std::net::Ipv6Addr::from(ip))
                }
                _ => return None,
            };
            let mut port = [0u8; 2];
            c.read_exact(&mut port).ok()?;
            c.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).ok()?;
            Some((
                format!("{host}:{}", u16::from_be_bytes(port)),
                Vec::new(),
                c,
            ))
        })
    }

    fn spawn(upstream: SocketAddr, handshake: Handshake) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = targets.clone();
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || {
                    let Some((target, early, client)) = handshake(client) else {
                        return;
                    };
                    seen.lock().unwrap().push(target);
                    let Ok(mut server) = TcpStream::connect(upstream) else {
                        return;
                    };
                    if server.write_all(&early).is_err() {
                        return;
                    }
                    let (Ok(mut c2), Ok(mut s2)) = (client.try_clone(), server.try_clone()) else {
                        return;
                    };
                    let mut client = client;
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut s2, &mut c2);
                        let _ = c2.shutdown(std::net::Shutdown::Write);
                    });
                    let _ = std::io::copy(&mut client, &mut server);
                    let _ = server.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Proxy { addr, targets }
    }
}
