package store

// DecodeRecord is decodeRecord, for the fuzz target in package store_test,
// which seeds it from the records of a real server.
var DecodeRecord = decodeRecord

// DBFile is the name of the database file in the data directory.
const DBFile = dbFile

// KeysBucket is the bucket of the records.
var KeysBucket = keysBucket
