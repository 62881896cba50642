/* The instructions SQLite itself spends on one ledger row, with no Swift around it: the floor
 * under the meter's ledger thread (issue 17's metering figure). The same table and index as
 * SQLLedger's, WAL, synchronous=NORMAL, no mutexes, multi-row INSERTs with every value bound.
 *
 *   ledger-row-floor ROWS ROWS_PER_INSERT FOREIGN_KEYS ROWS_PER_TRANSACTION CLEAR_BINDINGS [unique] [noindex]
 *
 * `unique` adds the unique index on request_id; `noindex` leaves out even the (tenant, time)
 * index: the floor of the row alone.
 *
 * Run by ./run under callgrind at two row counts; the difference per row is the figure. It
 * includes formatting each row's request id with sprintf (some 700 instructions).
 * (The table is written out here rather than taken from LedgerColumns: C cannot read Swift.) */
#include <sqlite3.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define COLS 28
static const char *cols="at_micros, request_id, tenant_id, key_id, provider, protocol, model, status, outcome, finished, error, input_tokens, output_tokens, total_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, web_search_requests, price_entry, cost_input_nanos, cost_cached_input_nanos, cost_cache_write_nanos, cost_output_nanos, cost_request_nanos, cost_web_search_nanos, cost_nanos, balance_before_nanos, balance_after_nanos";
int main(int argc,char**argv){
  int rows=atoi(argv[1]); int per=atoi(argv[2]); int fk=atoi(argv[3]); int batch=atoi(argv[4]); int clear=atoi(argv[5]);
  unlink("x.db"); unlink("x.db-wal"); unlink("x.db-shm");
  sqlite3*db; sqlite3_open_v2("x.db",&db,SQLITE_OPEN_READWRITE|SQLITE_OPEN_CREATE|SQLITE_OPEN_NOMUTEX,0);
  sqlite3_exec(db,"PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",0,0,0);
  if(fk) sqlite3_exec(db,"PRAGMA foreign_keys=ON",0,0,0);
  sqlite3_exec(db,"CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, currency TEXT NOT NULL DEFAULT 'USD', balance_nanos BIGINT NOT NULL DEFAULT 0, created_micros BIGINT NOT NULL);"
  "INSERT INTO tenants(name,created_micros) VALUES('bench',0);"
  "CREATE TABLE ledger (id INTEGER PRIMARY KEY, at_micros BIGINT NOT NULL, request_id TEXT NOT NULL, tenant_id BIGINT NOT NULL REFERENCES tenants(id), key_id BIGINT NOT NULL, provider TEXT NOT NULL, protocol TEXT, model TEXT, status BIGINT, outcome TEXT NOT NULL, finished BIGINT NOT NULL, error TEXT, input_tokens BIGINT, output_tokens BIGINT, total_tokens BIGINT, cached_input_tokens BIGINT, cache_write_tokens BIGINT, reasoning_tokens BIGINT, web_search_requests BIGINT NOT NULL, price_entry TEXT, cost_input_nanos BIGINT, cost_cached_input_nanos BIGINT, cost_cache_write_nanos BIGINT, cost_output_nanos BIGINT, cost_request_nanos BIGINT, cost_web_search_nanos BIGINT, cost_nanos BIGINT, balance_before_nanos BIGINT NOT NULL, balance_after_nanos BIGINT NOT NULL);"
  ,0,0,0);
  int unique=0, noindex=0;
  for(int a=6;a<argc;a++){ if(!strcmp(argv[a],"unique")) unique=1; if(!strcmp(argv[a],"noindex")) noindex=1; }
  if(!noindex) sqlite3_exec(db,"CREATE INDEX ledger_by_tenant_time ON ledger (tenant_id, at_micros);",0,0,0);
  if(unique) sqlite3_exec(db,"CREATE UNIQUE INDEX ledger_request ON ledger (request_id);",0,0,0);
  char sql[100000]; int n=sprintf(sql,"INSERT INTO ledger (%s) VALUES ",cols);
  for(int r=0;r<per;r++){ n+=sprintf(sql+n,"%s(",r?",":""); for(int c=0;c<COLS;c++) n+=sprintf(sql+n,"%s?",c?",":""); n+=sprintf(sql+n,")"); }
  sqlite3_stmt*st; if(sqlite3_prepare_v2(db,sql,-1,&st,0)){printf("%s\n",sqlite3_errmsg(db));return 1;}
  long i=0;
  while(i<rows){
    sqlite3_exec(db,"BEGIN IMMEDIATE",0,0,0);
    for(int b=0;b<batch && i<rows; b+=per){
      sqlite3_reset(st); if(clear) sqlite3_clear_bindings(st);
      for(int r=0;r<per;r++,i++){
        int p=1+r*COLS; char rid[32]; int l=sprintf(rid,"req-%016lx",i*7919);
        sqlite3_bind_int64(st,p++,1700000000000000+i);
        sqlite3_bind_text(st,p++,rid,l,SQLITE_TRANSIENT);
        sqlite3_bind_int64(st,p++,1); sqlite3_bind_int64(st,p++,1);
        sqlite3_bind_text(st,p++,"127.0.0.1",9,SQLITE_STATIC);
        sqlite3_bind_text(st,p++,"chat",4,SQLITE_STATIC);
        sqlite3_bind_text(st,p++,"gpt-4o-mini-2024-07-18",22,SQLITE_STATIC);
        sqlite3_bind_int64(st,p++,200);
        sqlite3_bind_text(st,p++,"completed",9,SQLITE_STATIC);
        sqlite3_bind_int64(st,p++,1);
        sqlite3_bind_null(st,p++);
        for(int k=0;k<6;k++) sqlite3_bind_int64(st,p++,100+k);
        sqlite3_bind_int64(st,p++,0);
        sqlite3_bind_text(st,p++,"gpt-4o-mini",11,SQLITE_STATIC);
        for(int k=0;k<7;k++) sqlite3_bind_int64(st,p++,1000*k);
        sqlite3_bind_int64(st,p++,5000000); sqlite3_bind_int64(st,p++,4000000);
      }
      if(sqlite3_step(st)!=SQLITE_DONE){printf("%s\n",sqlite3_errmsg(db));return 1;}
    }
    sqlite3_exec(db,"COMMIT",0,0,0);
  }
  sqlite3_finalize(st); sqlite3_close(db); return 0;
}
