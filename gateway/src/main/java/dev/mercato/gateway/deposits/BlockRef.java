package dev.mercato.gateway.deposits;

/** A block by number and hash (lower-case 0x hex); the hash is what tells a reorg apart. */
record BlockRef(long number, String hash) {
}
