package auth_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	auth "github.com/embedauth/auth"
)

// A back office in Go: page through the users who have not verified their
// email, newest first, and ban one on behalf of an administrator. Every
// change is in the admin audit log.
func ExampleAuth_ListUsers() {
	dir, _ := os.MkdirTemp("", "embedauth-example")
	defer os.RemoveAll(dir)
	a, err := auth.New(auth.Config{DatabasePath: filepath.Join(dir, "app.db"), BaseURL: "http://localhost:8080"})
	if err != nil {
		log.Fatal(err)
	}
	defer a.Close()
	ctx := context.Background()

	boss, _ := a.CreateUser(ctx, auth.CreateUserParams{Email: "boss@example.com", EmailVerified: true})
	actor := auth.AdminActor{ID: boss.ID, Email: boss.Email}
	for _, e := range []string{"ann@example.com", "bob@example.com", "cy@example.com"} {
		if _, err := a.AdminCreateUser(ctx, actor, auth.CreateUserParams{Email: e}); err != nil {
			log.Fatal(err)
		}
	}

	q := auth.UserQuery{Unverified: true, Sort: auth.SortEmailAsc, Limit: 2}
	for {
		page, err := a.ListUsers(ctx, q)
		if err != nil {
			log.Fatal(err)
		}
		for _, u := range page.Users {
			fmt.Println(u.Email)
		}
		if page.Next == nil {
			break
		}
		q.After = page.Next
	}

	bob, _ := a.GetUserByEmail(ctx, "bob@example.com")
	if _, err := a.AdminBanUser(ctx, actor, bob.ID); err != nil {
		log.Fatal(err)
	}
	log, _ := a.AuditLog(ctx, bob.ID, 0, 10)
	fmt.Println(log[0].Action, "by", log[0].ActorEmail)
	// Output:
	// ann@example.com
	// bob@example.com
	// cy@example.com
	// user.banned by boss@example.com
}
