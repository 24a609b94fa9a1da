package dev.mercato.gateway.chain;

/** A block by number and hash (lower-case 0x hex); the hash is what tells a reorg apart. */
public record BlockRef(long number, String hash) {
}
